package transformer

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeminiJSONArrayStream runs every stream golden file with a Gemini
// caller again as a caller that asked for the JSON-array framing: the
// output must be one JSON array whose elements are, in order, the data of
// the SSE events the golden file holds, fed whole and a byte at a time.
func TestGeminiJSONArrayStream(t *testing.T) {
	files, err := filepath.Glob("testdata/stream/*2g_*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("only %d golden streams with a Gemini caller", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			sc := loadStreamCase(t, path)
			evs, err := decodeStreamEvents(sc.output)
			if err != nil {
				t.Fatal(err)
			}
			for _, chunk := range []int{0, 1} {
				conv := sc.conv
				conv.JSONArray = true
				got, _ := convertStream(t, &conv, sc.input, chunk, sc.endErr)
				var elems []json.RawMessage
				if err := json.Unmarshal(got, &elems); err != nil {
					t.Fatalf("chunk %d: not a JSON array: %v\n%s", chunk, err, got)
				}
				if len(elems) != len(evs) {
					t.Fatalf("chunk %d: %d elements, the SSE stream has %d events\n%s", chunk, len(elems), len(evs), got)
				}
				for i := range evs {
					if string(elems[i]) != string(evs[i].Data) {
						t.Errorf("chunk %d: element %d\n got %s\nwant %s", chunk, i, elems[i], evs[i].Data)
					}
				}
				if !strings.HasPrefix(string(got), "[{") || !strings.HasSuffix(string(got), "}]") {
					t.Errorf("chunk %d: framing %q…%q", chunk, got[:min(4, len(got))], got[max(0, len(got)-4):])
				}
			}
		})
	}
	// A stream with no chunk at all is still an array.
	conv := Conversion{From: Gemini, To: Gemini, JSONArray: true}
	if got, _ := convertStream(t, &conv, nil, 0, nil); string(got) == "" || !json.Valid(got) {
		t.Errorf("empty stream: %q", got)
	}
}
