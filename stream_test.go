package routex_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// readWith reads r to its end, n bytes at most per Read.
func readWith(r io.Reader, n int) (string, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return string(out), nil
		}
		if err != nil {
			return string(out), err
		}
	}
}

// A stream reads its upstream into the caller's buffer when it is large
// enough and into a pooled one otherwise: the caller gets the same stream
// whatever the size of its reads.
func TestStreamReadSizes(t *testing.T) {
	// Converted streams get fresh message IDs.
	ids := regexp.MustCompile(`msg_[0-9A-Za-z]+`)
	for _, typ := range []routex.Format{routex.FormatAnthropic, routex.FormatOpenAI} {
		up := mock(t, string(typ))
		up.Text = strings.Repeat("many small events in one upstream read ", 200)
		c := newClient(t, routex.WithChannels(channel("up", typ, up)))
		var want string
		for _, size := range []int{1, 100, 2 << 10, 5000, 64 << 10} {
			req, err := http.NewRequest(http.MethodPost, "http://routex.invalid"+anthropicPath,
				strings.NewReader(`{"model":"claude-x","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
			require.NoError(t, err)
			resp, err := c.RoundTrip(req)
			require.NoError(t, err)
			got, err := readWith(resp.Body, size)
			resp.Body.Close()
			require.NoError(t, err, "%s channel, %d-byte reads", typ, size)
			got = ids.ReplaceAllString(got, "msg_")
			if want == "" {
				require.Contains(t, got, "event: message_stop")
				want = got
				continue
			}
			assert.Equal(t, want, got, "%s channel, %d-byte reads", typ, size)
		}
	}
}
