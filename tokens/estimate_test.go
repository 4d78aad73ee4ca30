package tokens

import (
	"sync"
	"testing"

	"github.com/tiktoken-go/tokenizer"
)

// reference is the BPE tokenizer the estimate is measured against.
var reference = sync.OnceValues(func() (tokenizer.Codec, error) {
	return tokenizer.Get(tokenizer.O200kBase)
})

func referenceCount(tb testing.TB, text []byte) int {
	tb.Helper()
	enc, err := reference()
	if err != nil {
		tb.Fatal(err)
	}
	n, err := enc.Count(string(text))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// The acceptance bounds: the estimate must be within 15% of the reference,
// for every category as a whole and for every sample of at least 1 KB.
const (
	minRatio       = 0.85
	maxRatio       = 1.15
	minSampleBytes = 1024
)

func TestAccuracy(t *testing.T) {
	type total struct{ bytes, estimate, reference int }
	totals := map[string]*total{}
	var order []string
	for _, s := range corpus(t) {
		est, ref := Estimate(s.text), referenceCount(t, s.text)
		ratio := float64(est) / float64(ref)
		t.Logf("%-5s %-24s %6d bytes  reference %5d  estimate %5d  ratio %.3f", s.category, s.name, len(s.text), ref, est, ratio)
		if len(s.text) >= minSampleBytes && (ratio < minRatio || ratio > maxRatio) {
			t.Errorf("%s/%s: estimate %d, reference %d: ratio %.3f outside [%.2f, %.2f]", s.category, s.name, est, ref, ratio, minRatio, maxRatio)
		}
		if est != EstimateString(string(s.text)) {
			t.Errorf("%s/%s: Estimate and EstimateString disagree", s.category, s.name)
		}
		tt := totals[s.category]
		if tt == nil {
			tt = &total{}
			totals[s.category] = tt
			order = append(order, s.category)
		}
		tt.bytes += len(s.text)
		tt.estimate += est
		tt.reference += ref
	}
	for _, c := range order {
		tt := totals[c]
		ratio := float64(tt.estimate) / float64(tt.reference)
		t.Logf("%-5s total %6d bytes  reference %6d  estimate %6d  ratio %.3f  (%.2f bytes/token)", c, tt.bytes, tt.reference, tt.estimate, ratio, float64(tt.bytes)/float64(tt.reference))
		if tt.bytes < 20<<10 {
			t.Errorf("%s: corpus has only %d bytes, want at least 20 KB", c, tt.bytes)
		}
		if ratio < minRatio || ratio > maxRatio {
			t.Errorf("%s: ratio %.3f outside [%.2f, %.2f]", c, ratio, minRatio, maxRatio)
		}
	}
}
