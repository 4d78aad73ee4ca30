package transformer

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The stream tests of this package declare the same -update flag; whichever
// file runs first defines it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the output sections of golden files")
	}
}

// updatingGolden reports whether the test run was asked to rewrite golden files.
func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// A golden file holds one case: free text describing it, then sections
// that each start with a line "-- name --". The file name's prefix is the
// direction of the conversion from input to output: a2o_ converts an
// Anthropic body into an OpenAI one, o2a_ the reverse.
//
// testdata/request/*.txt: "input" is the caller's request, "output" the
// upstream request, "conversion" what the Conversion recorded (a2o: an
// Anthropic caller on an OpenAI upstream).
// testdata/response/*.txt: "conversion" is the request's Conversion (model
// and tool_names), "input" the upstream's reply, "output" the caller's
// (a2o: an Anthropic upstream answering an OpenAI caller).
type convGolden struct {
	path     string
	preamble string
	sections map[string]string
	order    []string
}

func readConvGolden(t *testing.T, path string) *convGolden {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g := &convGolden{path: path, sections: map[string]string{}}
	var name string
	var buf strings.Builder
	flush := func() {
		if name == "" {
			g.preamble = buf.String()
		} else {
			g.sections[name] = buf.String()
			g.order = append(g.order, name)
		}
		buf.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			flush()
			name = strings.TrimSpace(trimmed[3 : len(trimmed)-3])
			continue
		}
		buf.WriteString(line)
	}
	flush()
	return g
}

func (g *convGolden) set(name, value string) {
	if _, ok := g.sections[name]; !ok {
		g.order = append(g.order, name)
	}
	g.sections[name] = value
}

func (g *convGolden) write(t *testing.T) {
	t.Helper()
	var b strings.Builder
	b.WriteString(g.preamble)
	for _, name := range g.order {
		b.WriteString("-- " + name + " --\n")
		v := strings.TrimRight(g.sections[name], "\n")
		b.WriteString(v + "\n")
	}
	if err := os.WriteFile(g.path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func convGoldenFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden files in testdata/%s", dir)
	}
	return files
}

// goldenFormats maps the letters of a golden file's direction prefix
// ("a2o_", "r2a_"…) to formats.
var goldenFormats = map[byte]Format{'a': Anthropic, 'o': OpenAI, 'r': Responses, 'g': Gemini}

// goldenPrefix reads the direction prefix "x2y_" of a golden file's name:
// the format of its input, then of its output.
func goldenPrefix(path string) (in, out Format, ok bool) {
	base := filepath.Base(path)
	if len(base) < 4 || base[1] != '2' || base[3] != '_' {
		return "", "", false
	}
	in, ok1 := goldenFormats[base[0]]
	out, ok2 := goldenFormats[base[2]]
	return in, out, ok1 && ok2
}

// convGoldenDirection returns the formats of a golden file's input and output.
func convGoldenDirection(t *testing.T, path string) (in, out Format) {
	t.Helper()
	in, out, ok := goldenPrefix(path)
	if !ok || in == out {
		t.Fatalf("%s: name must start with a direction such as a2o_, o2a_ or r2a_ (a Anthropic, o OpenAI Chat, r Responses)", path)
	}
	return in, out
}

// indentGolden pretty-prints b, keeping its key order, for golden files a
// person reviews.
func indentGolden(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, b)
	}
	return out.String()
}

// sameJSON compares two JSON documents semantically.
func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("golden output is not valid JSON: %v", err)
	}
	return reflect.DeepEqual(g, w)
}

// conversionSummary is the part of a Conversion golden files record.
type conversionSummary struct {
	Model        string            `json:"model"`
	Stream       bool              `json:"stream,omitempty"`
	IncludeUsage bool              `json:"include_usage,omitempty"`
	ToolNames    map[string]string `json:"tool_names,omitempty"`
}

func summarizeConversion(c *Conversion) []byte {
	b, _ := json.MarshalIndent(conversionSummary{c.Model, c.Stream, c.IncludeUsage, c.ToolNames}, "", "  ")
	return b
}

func TestGoldenRequest(t *testing.T) {
	for _, path := range convGoldenFiles(t, "request") {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			g := readConvGolden(t, path)
			from, to := convGoldenDirection(t, path)
			out, c, err := ConvertRequest(from, to, []byte(g.sections["input"]))
			if err != nil {
				t.Fatalf("ConvertRequest: %v", err)
			}
			if c.From != from || c.To != to {
				t.Errorf("Conversion %s→%s, want %s→%s", c.From, c.To, from, to)
			}
			conv := summarizeConversion(c)
			if updatingGolden() {
				g.set("output", indentGolden(t, out))
				g.set("conversion", string(conv))
				g.write(t)
				return
			}
			if !sameJSON(t, out, g.sections["output"]) {
				t.Errorf("output differs from the golden file\ngot:\n%s\nwant:\n%s", indentGolden(t, out), g.sections["output"])
			}
			if !sameJSON(t, conv, g.sections["conversion"]) {
				t.Errorf("conversion differs from the golden file\ngot:\n%s\nwant:\n%s", conv, g.sections["conversion"])
			}
		})
	}
}

func TestGoldenResponse(t *testing.T) {
	for _, path := range convGoldenFiles(t, "response") {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			g := readConvGolden(t, path)
			// The reply travels from the upstream (c.To) to the caller.
			to, from := convGoldenDirection(t, path)
			var s conversionSummary
			if conv := g.sections["conversion"]; conv != "" {
				if err := json.Unmarshal([]byte(conv), &s); err != nil {
					t.Fatalf("conversion section: %v", err)
				}
			}
			c := &Conversion{From: from, To: to, Model: s.Model, ToolNames: s.ToolNames}
			out, err := ConvertResponse(c, []byte(g.sections["input"]))
			if err != nil {
				t.Fatalf("ConvertResponse: %v", err)
			}
			out = normalizeCreated(t, out)
			if updatingGolden() {
				g.set("output", indentGolden(t, out))
				g.write(t)
				return
			}
			if !sameJSON(t, out, g.sections["output"]) {
				t.Errorf("output differs from the golden file\ngot:\n%s\nwant:\n%s", indentGolden(t, out), g.sections["output"])
			}
		})
	}
}

// normalizeCreated zeroes the creation time of a chat.completion, the one
// field that depends on the clock.
func normalizeCreated(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, b)
	}
	if _, ok := m["created"]; !ok {
		return b
	}
	// Rewrite in place to keep the key order for the golden file.
	i := bytes.Index(b, []byte(`"created":`))
	j := i + len(`"created":`)
	k := j
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		k++
	}
	out := append([]byte{}, b[:j]...)
	out = append(out, '0')
	return append(out, b[k:]...)
}

// TestGoldenFilesReviewed guards against an -update run silently blessing
// outputs: every golden file explains its case before the first section.
func TestGoldenFilesReviewed(t *testing.T) {
	var names []string
	for _, dir := range []string{"request", "response"} {
		for _, path := range convGoldenFiles(t, dir) {
			g := readConvGolden(t, path)
			if strings.TrimSpace(g.preamble) == "" {
				names = append(names, path)
			}
			for _, s := range []string{"input", "output"} {
				if _, ok := g.sections[s]; !ok {
					t.Errorf("%s: no %q section", path, s)
				}
			}
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		t.Errorf("golden files without a description: %v", names)
	}
}
