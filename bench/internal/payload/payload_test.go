package payload

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tidwall/gjson"
)

func TestBuild(t *testing.T) {
	for _, f := range Formats {
		for _, size := range []int{200, 2 << 10, 100 << 10} {
			for _, stream := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/%v", f, size, stream), func(t *testing.T) {
					b := Build(f, "claude-sonnet-4-5", size, stream)
					if !json.Valid(b) {
						t.Fatalf("not JSON: %s", b)
					}
					if d := len(b) - size; d < -4 || d > 4 {
						t.Errorf("len = %d, want %d ± 4", len(b), size)
					}
					r := gjson.ParseBytes(b)
					if r.Get("model").String() != "claude-sonnet-4-5" || r.Get("stream").Bool() != stream {
						t.Errorf("model %q stream %v", r.Get("model"), r.Get("stream"))
					}
					turns := "messages"
					if f == Responses {
						turns = "input"
						if r.Get("max_output_tokens").Int() == 0 || r.Get("messages").Exists() || r.Get("max_tokens").Exists() {
							t.Errorf("not a Responses request: %.200s", b)
						}
					}
					last := r.Get(turns + ".@reverse.0")
					if last.Get("role").String() != "user" || last.Get("content").String() == "" {
						t.Errorf("last turn %s, want the user's", last.Raw)
					}
					if f == OpenAI && stream && !r.Get("stream_options.include_usage").Bool() {
						t.Error("OpenAI stream without include_usage")
					}
				})
			}
		}
	}
}
