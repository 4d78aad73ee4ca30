package tokens

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// A sample is one text of the accuracy corpus.
type sample struct {
	category string // "prose", "code" or "json"
	name     string
	text     []byte
}

// corpus returns the accuracy corpus: the files under testdata plus JSON
// documents generated from a fixed seed.
func corpus(tb testing.TB) []sample {
	tb.Helper()
	var out []sample
	for _, category := range []string{"prose", "code", "json"} {
		files, err := filepath.Glob(filepath.Join("testdata", category, "*"))
		if err != nil {
			tb.Fatal(err)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, sample{category, filepath.Base(f), b})
		}
	}
	tools, err := os.ReadFile(filepath.Join("testdata", "json", "tools.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, tools); err != nil {
		tb.Fatal(err)
	}
	out = append(out, sample{"json", "tools.compact.json", compact.Bytes()})

	var prose []sample
	for _, s := range out {
		if s.category == "prose" {
			prose = append(prose, s)
		}
	}
	out = append(out,
		sample{"json", "chat_request.json", chatRequest(tb, prose, compact.Bytes())},
		sample{"json", "orders.pretty.json", orders(tb, rand.New(rand.NewPCG(1, 2)), 8, "  ")},
		sample{"json", "orders.compact.json", orders(tb, rand.New(rand.NewPCG(3, 4)), 10, "")},
		sample{"json", "logs.ndjson", logLines(tb, rand.New(rand.NewPCG(5, 6)), 24)},
		sample{"json", "metrics.json", metrics(tb, rand.New(rand.NewPCG(7, 8)), "\t")},
	)
	return out
}

func marshal(tb testing.TB, v any, indent string) []byte {
	tb.Helper()
	var b []byte
	var err error
	if indent == "" {
		b, err = json.Marshal(v)
	} else {
		b, err = json.MarshalIndent(v, "", indent)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// chatRequest builds a compact chat-completion request body whose messages
// quote the prose samples, so that it contains escaped newlines and quotes.
func chatRequest(tb testing.TB, prose []sample, tools []byte) []byte {
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	req := struct {
		Model       string          `json:"model"`
		Messages    []message       `json:"messages"`
		Tools       json.RawMessage `json:"tools"`
		ToolChoice  string          `json:"tool_choice"`
		Temperature float64         `json:"temperature"`
		MaxTokens   int             `json:"max_tokens"`
		Stream      bool            `json:"stream"`
	}{
		Model: "gpt-4o-2024-08-06",
		Messages: []message{
			{"system", "You are a careful assistant. Answer in plain English, cite the passage you rely on, and call a tool only when the user asks for live data."},
			{"user", "Summarise the following two documents in five bullet points each.\n\n---\n" + firstBytes(prose[0].text, 1800) + "\n---\n" + firstBytes(prose[2].text, 1800)},
			{"assistant", "Here is a summary of each document:\n\n1. " + firstBytes(prose[1].text, 600)},
			{"user", "Thanks. Now check the weather in \"Carrow\" for the next 3 days and book a flight from LHR to EDI on 2024-11-02."},
		},
		Tools:       tools,
		ToolChoice:  "auto",
		Temperature: 0.2,
		MaxTokens:   4096,
		Stream:      true,
	}
	return marshal(tb, req, "")
}

// firstBytes returns about the first n bytes of b, cut at a line break.
func firstBytes(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	if i := bytes.LastIndexByte(b[:n], '\n'); i > 0 {
		return string(b[:i])
	}
	return string(b[:n])
}

var (
	firstNames = []string{"Amelia", "Oliver", "Sofia", "Mateo", "Hana", "Kwame", "Ingrid", "Ravi", "Chloe", "Dmitri", "Fatima", "Lucas", "Mei", "Tomasz", "Aisha", "Finn"}
	lastNames  = []string{"Hart", "Nakamura", "Okafor", "Lindqvist", "Moreau", "Patel", "Kowalski", "Reyes", "Schmidt", "O'Brien", "Haddad", "Fischer", "Silva", "Novak"}
	streets    = []string{"Harbour Lane", "Market Street", "Elm Grove", "Station Road", "Kingsway", "Mill Lane", "Victoria Avenue", "Church Street", "Rue des Lilas", "Hauptstrasse"}
	cities     = []struct{ city, postcode, country, currency string }{
		{"Bristol", "BS1 4QA", "GB", "GBP"}, {"Leeds", "LS2 7EW", "GB", "GBP"}, {"Lyon", "69002", "FR", "EUR"},
		{"Hamburg", "20095", "DE", "EUR"}, {"Porto", "4050-262", "PT", "EUR"}, {"Austin", "78701", "US", "USD"},
		{"Toronto", "M5V 2T6", "CA", "CAD"}, {"Osaka", "530-0001", "JP", "JPY"},
	}
	products = []struct {
		sku, name string
		price     float64
	}{
		{"MUG-RED", "Stoneware mug, red, 350 ml", 12.5},
		{"MUG-BLUE", "Stoneware mug, blue, 350 ml", 12.5},
		{"TEA-EARLGREY-250G", "Earl Grey loose-leaf tea (250 g)", 8.95},
		{"BOOK-001", "The Lighthouse Keeper's Handbook", 24.0},
		{"LAMP-01", "Adjustable desk lamp with USB-C charging port", 59.99},
		{"PEN-FTN-BLK", "Fountain pen, black, medium nib", 34.0},
		{"NOTE-A5-DOT", "A5 notebook, dotted, 192 pages", 15.75},
		{"BAG-CANVAS", "Canvas tote bag", 18.0},
		{"CABLE-USBC-2M", "USB-C to USB-C cable, 2 m, braided", 11.49},
		{"PLANT-POT-S", "Ceramic plant pot, small, with saucer", 21.3},
	}
	statuses = []string{"pending", "paid", "shipped", "delivered", "cancelled", "refunded"}
	tags     = []string{"gift", "priority", "wholesale", "repeat-customer", "fragile", "international", "promo-spring"}
	notes    = []string{
		"Please leave the parcel with the neighbour at number 14 if nobody is home.",
		"Gift wrap, no prices on the packing slip.",
		"Customer called on Tuesday to change the delivery address.",
		"Replacement for order that arrived damaged; do not charge shipping.",
		"",
	}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// orders generates an e-commerce API response listing n orders.
func orders(tb testing.TB, r *rand.Rand, n int, indent string) []byte {
	type address struct {
		Street   string `json:"street"`
		City     string `json:"city"`
		Postcode string `json:"postcode"`
		Country  string `json:"country"`
	}
	type customer struct {
		ID      string  `json:"id"`
		Name    string  `json:"name"`
		Email   string  `json:"email"`
		Phone   *string `json:"phone"`
		Address address `json:"address"`
	}
	type item struct {
		SKU       string  `json:"sku"`
		Name      string  `json:"name"`
		Quantity  int     `json:"quantity"`
		UnitPrice float64 `json:"unit_price"`
	}
	type order struct {
		ID        string         `json:"id"`
		CreatedAt string         `json:"created_at"`
		Status    string         `json:"status"`
		Customer  customer       `json:"customer"`
		Items     []item         `json:"items"`
		Subtotal  float64        `json:"subtotal"`
		Shipping  float64        `json:"shipping"`
		Total     float64        `json:"total"`
		Currency  string         `json:"currency"`
		Tags      []string       `json:"tags"`
		Note      *string        `json:"note"`
		Paid      bool           `json:"paid"`
		Meta      map[string]any `json:"metadata,omitempty"`
	}
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	var list []order
	for i := 0; i < n; i++ {
		first, last := pick(r, firstNames), pick(r, lastNames)
		c := pick(r, cities)
		o := order{
			ID:        fmt.Sprintf("ord_%08x", r.Uint32()),
			CreatedAt: base.Add(time.Duration(r.IntN(90*24*3600)) * time.Second).Format(time.RFC3339),
			Status:    pick(r, statuses),
			Customer: customer{
				ID:    fmt.Sprintf("cus_%d", 1000+r.IntN(90000)),
				Name:  first + " " + last,
				Email: strings.ToLower(first+"."+strings.ReplaceAll(last, "'", "")) + "@example.com",
				Address: address{
					Street:   fmt.Sprintf("%d %s", 1+r.IntN(200), pick(r, streets)),
					City:     c.city,
					Postcode: c.postcode,
					Country:  c.country,
				},
			},
			Currency: c.currency,
			Shipping: float64(r.IntN(4)) * 2.5,
			Paid:     r.IntN(4) != 0,
		}
		if r.IntN(2) == 0 {
			phone := fmt.Sprintf("+44 %d %06d", 1000+r.IntN(9000), r.IntN(1000000))
			o.Customer.Phone = &phone
		}
		for k := 1 + r.IntN(4); k > 0; k-- {
			p := pick(r, products)
			q := 1 + r.IntN(3)
			o.Items = append(o.Items, item{p.sku, p.name, q, p.price})
			o.Subtotal += float64(q) * p.price
		}
		o.Total = float64(int((o.Subtotal+o.Shipping)*100+0.5)) / 100
		o.Subtotal = float64(int(o.Subtotal*100+0.5)) / 100
		o.Tags = []string{}
		for k := r.IntN(3); k > 0; k-- {
			o.Tags = append(o.Tags, pick(r, tags))
		}
		if note := pick(r, notes); note != "" {
			o.Note = &note
		}
		if r.IntN(3) == 0 {
			o.Meta = map[string]any{"channel": "web", "campaign": "spring-2024", "ab_bucket": r.IntN(10)}
		}
		list = append(list, o)
	}
	resp := map[string]any{
		"object":      "list",
		"data":        list,
		"has_more":    true,
		"next_cursor": fmt.Sprintf("eyJvZmZzZXQiOjIwLCJ0cyI6%d", 1700000000+r.IntN(1e8)),
	}
	return marshal(tb, resp, indent)
}

// logLines generates newline-delimited JSON access logs.
func logLines(tb testing.TB, r *rand.Rand, n int) []byte {
	type line struct {
		Time      string  `json:"time"`
		Level     string  `json:"level"`
		Msg       string  `json:"msg"`
		Method    string  `json:"method"`
		Path      string  `json:"path"`
		Status    int     `json:"status"`
		Duration  float64 `json:"duration_ms"`
		Bytes     int     `json:"bytes"`
		UserAgent string  `json:"user_agent"`
		TraceID   string  `json:"trace_id"`
		Upstream  string  `json:"upstream,omitempty"`
		Error     string  `json:"error,omitempty"`
	}
	paths := []string{"/v1/chat/completions", "/v1/embeddings", "/v1/models", "/v1/responses", "/healthz", "/v1/files/file-abc123/content"}
	agents := []string{"OpenAI/Python 1.40.0", "curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)", "routex-probe/0.3"}
	upstreams := []string{"openai-primary", "azure-eastus", "anthropic", "local-vllm"}
	errs := []string{"upstream timed out after 60s", "context canceled", "429 Too Many Requests: rate limit reached for requests", "connection reset by peer"}
	t0 := time.Date(2024, 6, 3, 14, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		l := line{
			Time:      t0.Add(time.Duration(i*1500+r.IntN(1000)) * time.Millisecond).Format(time.RFC3339Nano),
			Level:     "info",
			Msg:       "request completed",
			Method:    "POST",
			Path:      pick(r, paths),
			Status:    200,
			Duration:  float64(r.IntN(250000)) / 100,
			Bytes:     r.IntN(200000),
			UserAgent: pick(r, agents),
			TraceID:   fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
			Upstream:  pick(r, upstreams),
		}
		if r.IntN(5) == 0 {
			l.Level, l.Status, l.Error, l.Msg = "error", pick(r, []int{429, 502, 504}), pick(r, errs), "request failed"
		}
		buf.Write(marshal(tb, l, ""))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// metrics generates a number-heavy monitoring document.
func metrics(tb testing.TB, r *rand.Rand, indent string) []byte {
	type series struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
		Unit   string            `json:"unit"`
		Points [][2]float64      `json:"points"`
	}
	names := []struct{ name, unit string }{
		{"http_request_duration_seconds_p99", "s"}, {"tokens_per_second", "1/s"}, {"upstream_error_ratio", "1"}, {"queue_depth", "requests"},
	}
	doc := struct {
		Query  string   `json:"query"`
		Start  int64    `json:"start"`
		End    int64    `json:"end"`
		Step   int      `json:"step_seconds"`
		Series []series `json:"series"`
	}{Query: `sum by (channel) (rate(routex_requests_total{status=~"5.."}[5m]))`, Start: 1717423200, End: 1717426800, Step: 300}
	for _, nm := range names {
		s := series{Name: nm.name, Unit: nm.unit, Labels: map[string]string{"channel": pick(r, []string{"openai", "azure", "anthropic"}), "region": "eu-west-1"}}
		for k := int64(0); k < 12; k++ {
			s.Points = append(s.Points, [2]float64{float64(doc.Start + k*300), float64(r.IntN(1000000)) / 1000})
		}
		doc.Series = append(doc.Series, s)
	}
	return marshal(tb, doc, indent)
}
