package tokens

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/tiktoken-go/tokenizer"
)

// The router's token-counter interface.
var _ interface{ CountTokens([]byte) int } = Estimator{}

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
		if g := estimateGeneral(string(s.text)); est != g {
			t.Errorf("%s/%s: Estimate = %d, general path %d", s.category, s.name, est, g)
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

func TestEstimateSmall(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		min, max int
	}{
		{"empty", "", 0, 0},
		{"space", " ", 1, 1},
		{"word", "hello", 1, 1},
		{"sentence", "The quick brown fox jumps over the lazy dog.", 9, 11},
		{"number", "1234567", 3, 3},
		{"camel case", "parseHTTPResponseHeader", 3, 7},
		{"json", `{"name": "Ada", "age": 36}`, 9, 14},
		{"indented code", "\tif err != nil {\n\t\treturn err\n\t}\n", 10, 16},
		{"accented", "Café crème brûlée à la française", 8, 16},
		{"cjk", "你好，世界。今天天气很好。", 7, 14},
		{"cyrillic", "Привет, как дела?", 4, 9},
		{"emoji", "Launch 🚀🚀 done ✅", 5, 10},
		{"long word", "pneumonoultramicroscopicsilicovolcanoconiosis", 9, 18},
		{"very long word", randomLetters(1000), 450, 600},
		{"very long repetition", strings.Repeat("abcdefghij", 100), 100, 400},
		{"invalid utf-8", "\xff\xfe\xc3 abc \xe4\xb8", 4, 10},
		{"nul bytes", "\x00\x00\x00", 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EstimateString(tt.text)
			ref := referenceCount(t, []byte(tt.text))
			t.Logf("estimate %d, reference %d", got, ref)
			if got < tt.min || got > tt.max {
				t.Errorf("EstimateString(%q) = %d, want between %d and %d", tt.text, got, tt.min, tt.max)
			}
			if b := Estimate([]byte(tt.text)); b != got {
				t.Errorf("Estimate = %d, EstimateString = %d", b, got)
			}
			if c := (Estimator{}).CountTokens([]byte(tt.text)); c != got {
				t.Errorf("CountTokens = %d, EstimateString = %d", c, got)
			}
		})
	}
}

// The estimate must stay reasonable outside its target categories too.
func TestEstimateOtherLanguages(t *testing.T) {
	texts := []struct{ name, text string }{
		{"french", "Le phare de la pointe n'avait pas été allumé depuis onze ans lorsque Marta arriva avec deux valises, une caisse de livres et une lettre de la commission du port que personne au village ne semblait avoir lue."},
		{"german", "Jeder definierte Upstream erhält seinen eigenen Verbindungspool. Ist keine freie Verbindung verfügbar, wird eine neue Verbindung geöffnet; andernfalls wartet die Anfrage in einer Warteschlange."},
		{"spanish", "—No llego tarde. La reunión empieza a las diez. Daniel miró su teléfono, frunció el ceño y se sentó frente a ella. ¿Qué me he perdido? Nada todavía; te estaba esperando."},
		{"russian", "Маяк на мысе не зажигали одиннадцать лет, когда Марта приехала с двумя чемоданами, ящиком книг и письмом от портовой комиссии, которое, казалось, никто в деревне не читал."},
		{"chinese", "卡罗角的灯塔已经十一年没有点亮了。玛尔塔带着两个手提箱、一箱书和一封港务委员会的信来到这里，村里似乎没有人读过那封信。"},
		{"japanese", "カロー岬の灯台は、もう十一年も灯されていなかった。バスは午後四時を少し過ぎたころ、海岸道路の終点で彼女を降ろした。"},
		{"korean", "캐로우 곶의 등대는 이미 11년 동안 불이 꺼져 있었다. 버스는 오후 네 시가 조금 지나 해안 도로 끝에 그녀를 내려 주었다."},
	}
	for _, tt := range texts {
		est, ref := EstimateString(tt.text), referenceCount(t, []byte(tt.text))
		ratio := float64(est) / float64(ref)
		t.Logf("%-8s reference %4d  estimate %4d  ratio %.3f", tt.name, ref, est, ratio)
		if ratio < 0.7 || ratio > 1.3 {
			t.Errorf("%s: ratio %.3f outside [0.7, 1.3]", tt.name, ratio)
		}
	}
}

func TestEstimateConcurrent(t *testing.T) {
	samples := corpus(t)
	want := make([]int, len(samples))
	for i, s := range samples {
		want[i] = Estimate(s.text)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i, s := range samples {
				if got := Estimate(s.text); got != want[i] {
					t.Errorf("%s: concurrent Estimate = %d, want %d", s.name, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

func TestEstimateAllocs(t *testing.T) {
	text := mixedText(t, 4<<10)
	s := string(text)
	if n := testing.AllocsPerRun(100, func() { Estimate(text) }); n != 0 {
		t.Errorf("Estimate allocates %v times per call", n)
	}
	if n := testing.AllocsPerRun(100, func() { EstimateString(s) }); n != 0 {
		t.Errorf("EstimateString allocates %v times per call", n)
	}
}

func FuzzEstimate(f *testing.F) {
	for _, s := range corpus(f) {
		f.Add(firstBytes(s.text, 300))
	}
	for _, s := range []string{"", " ", "\n\n  \n", "don't", "'S", "\u0301\u0301a", "ǅ", "a\u0301B", "\xff\xfe", "  1", " ...\n//", "😀😀", "\u3000\u00a0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := EstimateString(s)
		if n < 0 || n > len(s) {
			t.Fatalf("EstimateString(%q) = %d, want between 0 and %d", s, n, len(s))
		}
		if s == "" && n != 0 {
			t.Fatalf("EstimateString(\"\") = %d", n)
		}
		if b := Estimate([]byte(s)); b != n {
			t.Fatalf("Estimate = %d, EstimateString = %d", b, n)
		}
		if g := estimateGeneral(s); g != n {
			t.Fatalf("EstimateString(%q) = %d, general path %d", s, n, g)
		}
	})
}

// estimateGeneral is estimate without the ASCII fast paths, which must not
// change the result.
func estimateGeneral(s string) int {
	sum := 0
	for i := 0; i < len(s); {
		end, cost := piece(s, i)
		sum += min(cost, (end-i)*unit)
		i = end
	}
	return (sum + unit/2) / unit
}

// randomLetters returns n lowercase letters from a fixed seed.
func randomLetters(n int) string {
	r := rand.New(rand.NewPCG(9, 9))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// mixedText returns about n bytes of prose, code and JSON from the corpus,
// interleaved, cut at a line break.
func mixedText(tb testing.TB, n int) []byte {
	tb.Helper()
	samples := corpus(tb)
	var byCategory [3][]sample
	for _, s := range samples {
		switch s.category {
		case "prose":
			byCategory[0] = append(byCategory[0], s)
		case "code":
			byCategory[1] = append(byCategory[1], s)
		default:
			byCategory[2] = append(byCategory[2], s)
		}
	}
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		list := byCategory[i%3]
		buf.Write(list[i/3%len(list)].text)
		buf.WriteByte('\n')
	}
	return []byte(firstBytes(buf.Bytes(), n))
}

func benchmarkEstimate(b *testing.B, n int) {
	text := mixedText(b, n)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Estimate(text)
	}
}

func BenchmarkEstimate2KB(b *testing.B)   { benchmarkEstimate(b, 2<<10) }
func BenchmarkEstimate200KB(b *testing.B) { benchmarkEstimate(b, 200<<10) }

func BenchmarkEstimateString200KB(b *testing.B) {
	s := string(mixedText(b, 200<<10))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		EstimateString(s)
	}
}

// The reference tokenizer, for scale.
func BenchmarkReference200KB(b *testing.B) {
	s := string(mixedText(b, 200<<10))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		referenceCount(b, []byte(s))
	}
}
