package jsonx

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// agentBody is shaped like a coding agent's request: a system prompt, a
// tool, and a long conversation of text with escapes.
func agentBody(size int, escapes bool) string {
	var b strings.Builder
	b.WriteString(`{"model":"claude-sonnet-4-5","max_tokens":4096,"stream":true,"system":"You are a careful coding assistant.",`)
	b.WriteString(`"tools":[{"name":"read_file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],"messages":[`)
	for turn := 0; b.Len() < size; turn++ {
		if turn > 0 {
			b.WriteByte(',')
		}
		if escapes {
			fmt.Fprintf(&b, `{"role":"user","content":[{"type":"text","text":"Turn %d: func parseConfig(path string) (*Config, error) {\n\tb, err := os.ReadFile(path)\n\tif err != nil {\n\t\treturn nil, fmt.Errorf(\"read %%s: %%w\", path, err)\n\t}\n}"}]}`, turn)
		} else {
			fmt.Fprintf(&b, `{"role":"user","content":[{"type":"text","text":"Turn %d: Please look at the function parseConfig in config.go and explain why the timeout is ignored."}]}`, turn)
		}
	}
	b.WriteString(`]}`)
	return b.String()
}

func BenchmarkValid(b *testing.B) {
	for _, escapes := range []bool{false, true} {
		name := "prose"
		if escapes {
			name = "code"
		}
		b.Run(name, func(b *testing.B) { benchValid(b, agentBody(100<<10, escapes)) })
	}
}

func benchValid(b *testing.B, s string) {
	b.Run("jsonx", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if !Valid(s) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("members", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			m := Members(s)
			for m.Next() {
			}
			if m.Err() != nil {
				b.Fatal(m.Err())
			}
		}
	})
	b.Run("gjson", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if !gjson.Valid(s) {
				b.Fatal("invalid")
			}
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	for _, escapes := range []bool{false, true} {
		s := agentBody(2048, escapes)
		b.Run(map[bool]string{false: "plain", true: "escapes"}[escapes], func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			var dst []byte
			for b.Loop() {
				dst = AppendString(dst[:0], s)
			}
		})
	}
}
