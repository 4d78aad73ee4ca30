package jsonx

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// values holds JSON values of every kind, as a body carries them.
var values = []string{
	`""`, `"plain"`, `"a\"b\\c\n\u00e9\ud83d\ude00"`, `"  \n"`, `" \u0020"`, `"\u00a0"`,
	`0`, `-12`, `1.50`, `1e3`, `-0.0`, `true`, `false`, `null`,
	`{}`, `[]`, `{"a":1,"b":"x","a":2}`, `{ "k\u0065y" : [1, {"x":"]"}] , "z" : null }`,
	`[1, "two", {"three":3}, [4]]`,
}

func TestValueAgreesWithGJSON(t *testing.T) {
	for _, s := range values {
		t.Run(s, func(t *testing.T) {
			v, g := Value(s), gjson.Parse(s)
			if got, want := v.Text(), g.String(); got != want {
				t.Errorf("Text = %q, want %q", got, want)
			}
			if got, want := v.Str(), g.Str; got != want {
				t.Errorf("Str = %q, want %q", got, want)
			}
			if got, want := v.HasText(), g.String() != ""; got != want {
				t.Errorf("HasText = %v, want %v", got, want)
			}
			if got, want := v.BlankText(), Blank(g.String()); got != want {
				t.Errorf("BlankText = %v, want %v", got, want)
			}
			kinds := map[string][2]bool{
				"string": {v.IsString(), g.Type == gjson.String},
				"object": {v.IsObject(), g.IsObject()},
				"array":  {v.IsArray(), g.IsArray()},
				"number": {v.IsNumber(), g.Type == gjson.Number},
				"bool":   {v.IsBool(), g.IsBool()},
				"true":   {v.IsTrue(), g.Type == gjson.True},
				"false":  {v.IsFalse(), g.Type == gjson.False},
			}
			for kind, got := range kinds {
				if got[0] != got[1] {
					t.Errorf("is %s = %v, gjson says %v", kind, got[0], got[1])
				}
			}
			var want []string
			g.ForEach(func(_, x gjson.Result) bool { want = append(want, x.Raw); return true })
			var got []string
			it := v.Values()
			for x, ok := it.Next(); ok; x, ok = it.Next() {
				got = append(got, string(x))
			}
			if !slices.Equal(got, want) {
				t.Errorf("Values = %q, gjson's ForEach = %q", got, want)
			}
		})
	}
}

func TestMembersOfValue(t *testing.T) {
	for _, s := range values {
		if !gjson.Parse(s).IsObject() {
			m := Value(s).Members()
			if _, _, ok := m.Next(); ok {
				t.Errorf("%s: members of a non-object", s)
			}
			continue
		}
		t.Run(s, func(t *testing.T) {
			var want, got []string
			gjson.Parse(s).ForEach(func(k, x gjson.Result) bool {
				want = append(want, k.Str, x.Raw)
				if g := Value(s).Get(k.Str); string(g) != gjson.Get(s, k.Str).Raw {
					t.Errorf("Get(%q) = %s, want %s", k.Str, g, gjson.Get(s, k.Str).Raw)
				}
				return true
			})
			m := Value(s).Members()
			for k, x, ok := m.Next(); ok; k, x, ok = m.Next() {
				got = append(got, k, string(x))
			}
			if !slices.Equal(got, want) {
				t.Errorf("Members = %q, want %q", got, want)
			}
		})
	}
	if Value(`{"a":1}`).Get("b") != "" {
		t.Error("Get of a missing key is not the absent value")
	}
}

func TestObjectAndArray(t *testing.T) {
	tests := []struct {
		name, in string
		object   bool
		want     []string
	}{
		{"object in whitespace", " \n{\"a\": \"x\" , \"b\":[1]}\r\n", true, []string{"a", `"x"`, "b", "[1]"}},
		{"array in whitespace", "\t[ 1 ,\"]\" , {} ]", false, []string{"1", `"]"`, "{}"}},
		{"cut object", `{"a":1,"b":`, true, []string{"a", "1"}},
		{"cut array", `[1,"tw`, false, []string{"1"}},
		{"key without colon", `{"a" 1}`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if tt.object {
				o, ok := Object(tt.in)
				if !ok {
					t.Fatal("not seen as an object")
				}
				for k, v, ok := o.Next(); ok; k, v, ok = o.Next() {
					got = append(got, k, string(v))
				}
				if _, ok := Array(tt.in); ok {
					t.Error("an object seen as an array")
				}
			} else {
				a, ok := Array(tt.in)
				if !ok {
					t.Fatal("not seen as an array")
				}
				for v, ok := a.Next(); ok; v, ok = a.Next() {
					got = append(got, string(v))
				}
				if _, ok := Object(tt.in); ok {
					t.Error("an array seen as an object")
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSpace(t *testing.T) {
	for _, tt := range []struct{ in, trimmed string }{
		{"", ""}, {" \t\r\n", ""}, {" a b ", "a b"}, {"\u00a0x\u00a0", "\u00a0x\u00a0"}, {"{}\n", "{}"},
	} {
		if got := TrimSpace(tt.in); got != tt.trimmed {
			t.Errorf("TrimSpace(%q) = %q, want %q", tt.in, got, tt.trimmed)
		}
		if got, want := Blank(tt.in), tt.trimmed == ""; got != want {
			t.Errorf("Blank(%q) = %v, want %v", tt.in, got, want)
		}
	}
}

func TestViews(t *testing.T) {
	b := []byte("body")
	if s := BytesString(b); s != "body" || BytesString(nil) != "" {
		t.Errorf("BytesString = %q", s)
	}
	if got := StringBytes("body"); !bytes.Equal(got, b) || StringBytes("") != nil {
		t.Errorf("StringBytes = %q", got)
	}
}

// escapeInputs are strings an agent's body carries, and the malformed ones
// a peer may send.
var escapeInputs = []string{
	"", "plain text", "quote \" and backslash \\", "lines\nand\ttabs\r", "\x00\x01\x1f\x7f",
	"é ✓ 😀", "\u2028 and \u2029", "bad \xff utf-8 \xc3", "\\u00e9 kept literal",
}

func TestAppendString(t *testing.T) {
	for _, s := range escapeInputs {
		t.Run(s, func(t *testing.T) {
			got := AppendString(nil, s)
			want, _ := json.Marshal(s) // encoding/json also writes U+FFFD for invalid UTF-8
			if !bytes.Equal(got, want) {
				t.Errorf("AppendString = %s, encoding/json gives %s", got, want)
			}
			if body := AppendEscaped([]byte("x"), s); string(body) != "x"+string(got[1:len(got)-1]) {
				t.Errorf("AppendEscaped = %s, want the body of %s", body, got)
			}
		})
	}
}

func TestAppendToken(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"well-formed kept as written", `"a\"b\u00e9\/\n"`, `"a\"b\u00e9\/\n"`},
		{"raw control repaired", "\"a\nb\"", `"a\nb"`},
		{"bad escape made literal", `"a\qb"`, `"a\\qb"`},
		{"short unicode escape", `"a\u00"`, `"a\\u00"`},
		{"invalid utf-8", "\"a\xffb\"", `"a\ufffdb"`},
		{"unquoted", `abc`, `"abc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendToken(nil, tt.in)
			if string(got) != tt.want {
				t.Errorf("AppendToken(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("AppendToken(%q) = %s is not valid JSON", tt.in, got)
			}
		})
	}
}

func TestAppendAsString(t *testing.T) {
	for _, raw := range []string{`{}`, `{ "a" : [1, 2],
	"b": "x y \"q\" \\ \u00e9" }`, `"s"`, `[true, null]`} {
		t.Run(raw, func(t *testing.T) {
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(raw)); err != nil {
				t.Fatal(err)
			}
			var got string
			if err := json.Unmarshal(AppendAsString(nil, raw), &got); err != nil {
				t.Fatalf("not a JSON string: %v", err)
			}
			if got != compact.String() {
				t.Errorf("AppendAsString holds %s, want %s", got, compact.String())
			}
		})
	}
}

func TestAppendKeyAndSep(t *testing.T) {
	dst := []byte("{")
	dst = AppendKey(dst, "a")
	dst = append(dst, '[')
	dst = AppendSep(dst)
	dst = append(dst, '1')
	dst = AppendSep(dst)
	dst = append(dst, '2', ']')
	dst = AppendKey(dst, "b")
	dst = AppendValueString(dst, Value("12"))
	dst = AppendKey(dst, "c")
	dst = AppendValueString(dst, Value(`"x\n"`))
	dst = append(dst, '}')
	if want := `{"a":[1,2],"b":"12","c":"x\n"}`; string(dst) != want {
		t.Errorf("got %s, want %s", dst, want)
	}
}

func FuzzAppendToken(f *testing.F) {
	for _, s := range escapeInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range [][]byte{AppendToken(nil, s), AppendString(nil, s)} {
			if !Valid(string(out)) {
				t.Fatalf("%q gave %q, which is not valid JSON", s, out)
			}
		}
		// A token's escapes are kept: what AppendToken writes for a valid
		// token reads back as the token does (invalid UTF-8 aside, which
		// it repairs).
		if tok := Value(TrimSpace(s)); Valid(s) && utf8.ValidString(s) && tok.IsString() {
			if got := Value(AppendToken(nil, string(tok))).Str(); got != tok.Str() {
				t.Fatalf("%q read back as %q, want %q", s, got, tok.Str())
			}
		}
	})
}
