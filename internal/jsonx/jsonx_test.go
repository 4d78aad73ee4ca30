package jsonx

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

var corpus = []string{
	``, ` `, `{}`, `[]`, `{ }`, `[ ]`, ` {"a":1} `, `{"a":1}x`, `{"a":1}}`, `{"a" 1}`, `{"a":}`, `{,}`, `{"a":1,}`,
	`[1,]`, `[,1]`, `[1 2]`, `{"a":1 "b":2}`, `{1:2}`, `{"a":[1,{"b":[true,false,null]}]}`,
	`"x"`, `"\u00e9\n\t\"\\\/\b\f\r"`, `"\u00g0"`, `"\u00"`, `"\x"`, "\"a\x01b\"", "\"a\x1fb\"", "\"\x7f\xff\"",
	`"abc`, `"abc\`, `"abc\"`, `"0123456789abcdef0123456789\"abcdef"`, `"0123456789abcdef0123\\"`,
	`0`, `-0`, `-`, `01`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e10`, `--1`, `+1`, `1.5.5`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `nulll`, `NaN`, `[true,false]`, `[truefalse]`,
	`{"a":{"b":{"c":{}}}}`, `[[[[]]]]`, `[[[[]]]`, `[[[[]]]]]`, `{"a":[}`, `{"a":{]}`, `[{]`, `[}`,
	"{\"a\":\n\t1\r}", `{"a":"b","a":"c"}`, `{"\u0061":1}`, `{"a\"b":1}`,
	`{"messages":[{"role":"user","content":[{"type":"thinking","thinking":"x","signature":""}]}]}`,
}

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range corpus {
		if got, want := Valid(s), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
		// Every prefix of a valid document, and every one-byte change of
		// it, too.
		for i := range len(s) {
			p := s[:i]
			if got, want := Valid(p), json.Valid([]byte(p)); got != want {
				t.Errorf("Valid(%q) = %v, want %v", p, got, want)
			}
			for _, c := range []byte{'"', '\\', '{', '}', '[', ']', ',', ':', '0', 'e', '-', ' ', 0x01, 'u'} {
				m := s[:i] + string(c) + s[i+1:]
				if got, want := Valid(m), json.Valid([]byte(m)); got != want {
					t.Errorf("Valid(%q) = %v, want %v", m, got, want)
				}
			}
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s), json.Valid([]byte(s)); got != want {
			t.Fatalf("Valid(%q) = %v, want %v", s, got, want)
		}
		m := Members(s)
		n := 0
		for m.Next() {
			n++
		}
		isObj := json.Valid([]byte(s)) && strings.TrimLeft(s, " \t\r\n")[0] == '{'
		if (m.Err() == nil) != isObj {
			t.Fatalf("Members(%q).Err() = %v, object %v", s, m.Err(), isObj)
		}
		if isObj {
			want := 0
			gjson.Parse(s).ForEach(func(_, _ gjson.Result) bool { want++; return true })
			if n != want {
				t.Fatalf("Members(%q): %d members, want %d", s, n, want)
			}
		}
	})
}

func TestMembers(t *testing.T) {
	s := ` { "model" : "claude" , "stream":true, "messages":[{"a":"}"}], "n":-1.5e3, "o":{"x":[]}, "k\"q":null } `
	m := Members(s)
	var keys, vals []string
	for m.Next() {
		keys = append(keys, m.Key())
		vals = append(vals, m.Value())
	}
	if m.Err() != nil {
		t.Fatal(m.Err())
	}
	if got := strings.Join(keys, "|"); got != `model|stream|messages|n|o|k\"q` {
		t.Errorf("keys %s", got)
	}
	if got := strings.Join(vals, "|"); got != `"claude"|true|[{"a":"}"}]|-1.5e3|{"x":[]}|null` {
		t.Errorf("values %s", got)
	}

	for _, tc := range []struct {
		in      string
		members int
		notObj  bool
		offset  int
	}{
		{`[1,2]`, 0, true, 0},
		{` "x" `, 0, true, 0},
		{`{"a":1,"b":[1,}`, 1, false, 14},
		{`{"a":1} x`, 1, false, 8},
		{`{"a":1`, 1, false, 6},
		{`nope`, 0, false, 0},
		{``, 0, false, 0},
	} {
		m := Members(tc.in)
		n := 0
		for m.Next() {
			n++
		}
		if n != tc.members {
			t.Errorf("%q: %d members, want %d", tc.in, n, tc.members)
		}
		err := m.Err()
		if tc.notObj {
			if !errors.Is(err, ErrNotObject) {
				t.Errorf("%q: err %v, want ErrNotObject", tc.in, err)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != tc.offset {
			t.Errorf("%q: err %v, want a syntax error at %d", tc.in, err, tc.offset)
		}
	}
}

func TestWatchEmpty(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"messages":[{"content":[{"type":"thinking","signature":""}]}]}`, true},
		{`{"messages":[{"content":[{"type":"thinking","signature" : "" }]}]}`, true},
		{`{"messages":[{"content":[{"type":"thinking","signature":"abc"}]}]}`, false},
		{`{"messages":[{"content":[{"type":"text","text":"\"signature\":\"\""}]}]}`, false},
		{`{"signature":""}`, true},
		{`{"signatures":""}`, false},
	} {
		m := Members(tc.in)
		m.WatchEmpty("signature")
		for m.Next() {
		}
		if m.Err() != nil || m.FoundEmpty() != tc.want {
			t.Errorf("%s: found %v err %v, want %v", tc.in, m.FoundEmpty(), m.Err(), tc.want)
		}
	}
}

func TestDeepNesting(t *testing.T) {
	// Far deeper than any recursion could survive: refused, not a crash.
	deep := strings.Repeat("[", 32<<20)
	if Valid(deep) {
		t.Fatal("unclosed arrays valid")
	}
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if !Valid(ok) {
		t.Fatalf("depth %d refused", MaxDepth)
	}
	over := "[" + ok + "]"
	if Valid(over) {
		t.Fatalf("depth %d accepted", MaxDepth+1)
	}
	m := Members(`{"a":` + over + `}`)
	for m.Next() {
	}
	if m.Err() == nil || !strings.Contains(m.Err().Error(), "too deep") {
		t.Fatalf("err %v", m.Err())
	}
}

func TestSkip(t *testing.T) {
	for _, s := range []string{`"a\"b"`, `{"a":"}]"}`, `[1,[2,{"x":"]"}]]`, `-1.5e3`, `true`, `null`} {
		if got := SkipValue(s+` ,`, 0); got != len(s) {
			t.Errorf("SkipValue(%q) = %d, want %d", s, got, len(s))
		}
	}
	if SkipString(`"abc`, 0) != -1 || SkipValue(`{"a":[1}`, 0) != -1 {
		t.Error("unterminated values not reported")
	}
}
