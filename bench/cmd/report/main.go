// Command report turns the output of bench/run.sh into the markdown of
// BENCHMARKS.md: the targets and how far each is from being met, the
// ratios to the floor, and the full tables.
//
//	report -dir bench/out > bench/out/report.md
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// result is one line of results.jsonl, as written by bench/cmd/load.
type result struct {
	System   string  `json:"system"`
	Via      string  `json:"via"`
	Phase    string  `json:"phase"`
	Format   string  `json:"format"`
	Size     int     `json:"size"`
	Stream   bool    `json:"stream"`
	Mode     string  `json:"mode"`
	C        int     `json:"c"`
	Rate     int     `json:"rate"`
	N        int     `json:"n"`
	Errors   int     `json:"errors"`
	FirstErr string  `json:"first_error"`
	RPS      float64 `json:"rps"`
	Flight   int     `json:"max_in_flight"`
	P50      float64 `json:"p50_us"`
	P99      float64 `json:"p99_us"`
	Max      float64 `json:"max_us"`
	TTFB50   float64 `json:"ttfb_p50_us"`
	TTFB99   float64 `json:"ttfb_p99_us"`
	RSSStart int64   `json:"rss_start_kib"`
	RSSPeak  int64   `json:"rss_peak_kib"`
	CPU      float64 `json:"cpu_s"`
	CPUPerRq float64 `json:"cpu_us_per_req"`
	Foreign  float64 `json:"foreign_cores"`
	Session  string  `json:"session"`
}

// stack is a "stack" line of meta.jsonl: one start of the systems.
type stack struct {
	ReadyMS    int   `json:"server_ready_ms"`
	ServerIdle int64 `json:"server_idle_rss_kib"`
	FloorIdle  int64 `json:"floor_idle_rss_kib"`
	MockIdle   int64 `json:"mock_idle_rss_kib"`
}

var systems = []string{"direct", "floor", "server", "server-cross", "library", "library-cross"}

func main() {
	dir := flag.String("dir", "bench/out", "directory written by bench/run.sh")
	flag.Parse()
	var rs []result
	readLines(filepath.Join(*dir, "results.jsonl"), func(b []byte) {
		var r result
		if json.Unmarshal(b, &r) == nil {
			rs = append(rs, r)
		}
	})
	var stacks []stack
	readLines(filepath.Join(*dir, "meta.jsonl"), func(b []byte) {
		var s stack
		if bytes.Contains(b, []byte(`"kind":"stack"`)) && json.Unmarshal(b, &s) == nil {
			stacks = append(stacks, s)
		}
	})
	machine, _ := os.ReadFile(filepath.Join(*dir, "machine.txt"))
	startup, _ := os.ReadFile(filepath.Join(*dir, "startup.txt"))
	gotest, _ := os.ReadFile(filepath.Join(*dir, "gotest.txt"))

	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	m := index(rs, "matrix")
	shared, free := index(rs, "scale"), index(rs, "scale-free")
	fmt.Fprintf(w, "## Conditions\n\n```\n%s", machine)
	foreign(w, rs)
	fmt.Fprintf(w, "```\n\n")
	targets(w, m, shared, rs, stacks, startup, gotest)
	ratios(w, m)
	closedTables(w, m)
	openTable(w, rs)
	holdTable(w, rs)
	sharedTable(w, shared, free)
	memoryTable(w, stacks, startup)
	goTests(w, gotest)
	profiles(w, *dir)
}

// foreign reports how much CPU other processes took during the runs.
func foreign(w io.Writer, rs []result) {
	var fs []float64
	for _, r := range rs {
		if r.Phase == "matrix" || r.Phase == "rate" {
			fs = append(fs, r.Foreign)
		}
	}
	if len(fs) == 0 {
		return
	}
	slices.Sort(fs)
	fmt.Fprintf(w, "CPU used by processes outside the benchmark during the measured windows, in cores of 2: median %.2f, p90 %.2f, max %.2f\n",
		fs[len(fs)/2], fs[len(fs)*9/10], fs[len(fs)-1])
	for _, r := range rs {
		if (r.Phase == "matrix" || r.Phase == "rate") && r.Foreign > disturbed {
			load := fmt.Sprintf("c=%d", r.C)
			if r.Mode == "rate" {
				load = fmt.Sprintf("rate=%d", r.Rate)
			}
			fmt.Fprintf(w, "disturbed (%.2f cores foreign): %s %s %s %s %s\n", r.Foreign, r.System, r.Format, sizeName(nominal(r.Size)), kind(r.Stream), load)
		}
	}
}

// disturbed is the foreign CPU, in cores, past which a run is listed as
// disturbed by other work on the machine.
const disturbed = 0.25

func readLines(path string, f func([]byte)) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	for line := range bytes.Lines(b) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			f(line)
		}
	}
}

// cell identifies one combination of the closed-loop matrix.
type cell struct {
	format string
	size   int // nominal: 200, 2048 or 102400
	stream bool
	c      int
	// session is how the load sent X-Session-Id: "" (not at all), per
	// "caller" or per "request".
	session string
}

func nominal(size int) int {
	switch {
	case size < 1000:
		return 200
	case size < 10000:
		return 2048
	}
	return 102400
}

func sizeName(n int) string {
	return map[int]string{200: "200 B", 2048: "2 KB", 102400: "100 KB"}[n]
}

func kind(stream bool) string {
	if stream {
		return "stream"
	}
	return "json"
}

// index maps the matrix results by cell and system; a system measured
// in several rounds gets the median of each figure (the sum of requests
// and errors, the highest RSS).
func index(rs []result, phase string) map[cell]map[string]result {
	all := map[cell]map[string][]result{}
	for _, r := range rs {
		if r.Phase != phase {
			continue
		}
		k := cell{r.Format, nominal(r.Size), r.Stream, r.C, r.Session}
		if all[k] == nil {
			all[k] = map[string][]result{}
		}
		all[k][r.System] = append(all[k][r.System], r)
	}
	m := map[cell]map[string]result{}
	for k, row := range all {
		m[k] = map[string]result{}
		for sys, runs := range row {
			m[k][sys] = merge(runs)
		}
	}
	return m
}

func merge(runs []result) result {
	r := runs[0]
	if len(runs) == 1 {
		return r
	}
	med := func(pick func(*result) *float64) {
		vs := make([]float64, len(runs))
		for i := range runs {
			vs[i] = *pick(&runs[i])
		}
		slices.Sort(vs)
		*pick(&r) = vs[len(vs)/2]
	}
	for _, f := range []func(*result) *float64{
		func(x *result) *float64 { return &x.RPS }, func(x *result) *float64 { return &x.P50 },
		func(x *result) *float64 { return &x.P99 }, func(x *result) *float64 { return &x.Max },
		func(x *result) *float64 { return &x.TTFB50 }, func(x *result) *float64 { return &x.TTFB99 },
		func(x *result) *float64 { return &x.CPUPerRq }, func(x *result) *float64 { return &x.Foreign },
	} {
		med(f)
	}
	r.N, r.Errors = 0, 0
	for _, x := range runs {
		r.N += x.N
		r.Errors += x.Errors
		r.RSSPeak = max(r.RSSPeak, x.RSSPeak)
		if r.FirstErr == "" {
			r.FirstErr = x.FirstErr
		}
	}
	return r
}

func cells(m map[cell]map[string]result) []cell {
	ks := make([]cell, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.format != b.format {
			return a.format < b.format
		}
		if a.size != b.size {
			return a.size < b.size
		}
		if a.stream != b.stream {
			return !a.stream
		}
		if a.c != b.c {
			return a.c < b.c
		}
		return a.session < b.session
	})
	return ks
}

// added returns the latency sys adds over direct in the same cell at the
// percentile pick takes, and whether both were measured without errors.
func added(row map[string]result, sys string, pick func(result) float64) (float64, bool) {
	d, ok1 := row["direct"]
	s, ok2 := row[sys]
	if !ok1 || !ok2 || d.N == 0 || s.N == 0 || s.Errors > 0 || d.Errors > 0 {
		return 0, false
	}
	return pick(s) - pick(d), true
}

// ratio returns a/b, or NaN when b is too small to divide by: an added
// latency under 1 µs is noise.
func ratio(a, b float64) float64 {
	if b < 1 {
		return math.NaN()
	}
	return a / b
}

func p50(r result) float64    { return r.P50 }
func p99(r result) float64    { return r.P99 }
func pmax(r result) float64   { return r.Max }
func ttfb50(r result) float64 { return r.TTFB50 }

// addedRatio is the latency sys adds over direct divided by the latency
// base adds, at a percentile.
func addedRatio(row map[string]result, sys, base string, pick func(result) float64) float64 {
	a, ok1 := added(row, sys, pick)
	b, ok2 := added(row, base, pick)
	if !ok1 || !ok2 {
		return math.NaN()
	}
	return ratio(a, b)
}

// saturation returns the best closed-loop throughput of sys in the cells of
// (format, size, stream) at c ≥ 64.
func saturation(m map[cell]map[string]result, format string, size int, stream bool, sys string) float64 {
	best := 0.0
	for k, row := range m {
		if k.format == format && k.size == size && k.stream == stream && k.c >= 64 {
			if r, ok := row[sys]; ok && r.Errors == 0 {
				best = max(best, r.RPS)
			}
		}
	}
	return best
}

type group struct {
	format string
	size   int
	stream bool
}

func groups(m map[cell]map[string]result) []group {
	var gs []group
	for _, k := range cells(m) {
		g := group{k.format, k.size, k.stream}
		if len(gs) == 0 || gs[len(gs)-1] != g {
			gs = append(gs, g)
		}
	}
	return gs
}

// verdict summarises ratios against a limit: how many met it, and the
// worst and median.
type verdict struct {
	vals        []float64
	limit       float64
	atLeast     bool // the ratio must be ≥ limit rather than ≤
	description string
}

func (v *verdict) add(x float64) {
	if !math.IsNaN(x) {
		v.vals = append(v.vals, x)
	}
}

func (v verdict) String() string {
	sign := "≤"
	if v.atLeast {
		sign = "≥"
	}
	if len(v.vals) == 0 {
		return fmt.Sprintf("| %s | %s %.2f | not measured | |", v.description, sign, v.limit)
	}
	s := slices.Clone(v.vals)
	slices.Sort(s)
	met := 0
	for _, x := range s {
		if (v.atLeast && x >= v.limit) || (!v.atLeast && x <= v.limit) {
			met++
		}
	}
	worst := s[len(s)-1]
	if v.atLeast {
		worst = s[0]
	}
	median := s[len(s)/2]
	status := "met"
	switch {
	case met == 0:
		status = "**missed**"
	case met < len(s):
		status = fmt.Sprintf("**missed in %d of %d**", len(s)-met, len(s))
	}
	by := ""
	if status != "met" {
		if v.atLeast {
			by = fmt.Sprintf(" (worst %.0f%% short)", (v.limit-worst)/v.limit*100)
		} else {
			by = fmt.Sprintf(" (worst %.0f%% over)", (worst-v.limit)/v.limit*100)
		}
	}
	return fmt.Sprintf("| %s | %s %.2f | median %.2f×, worst %.2f× over %d | %s%s |",
		v.description, sign, v.limit, median, worst, len(s), status, by)
}

func targets(w io.Writer, m, shared map[cell]map[string]result, rs []result, stacks []stack, startup, gotest []byte) {
	fmt.Fprintf(w, "## Targets\n\n")
	fmt.Fprintf(w, "Ratios of the latency each system adds over direct (its percentile minus direct's), taken cell by cell\n")
	fmt.Fprintf(w, "(format × size × streamed or not) within this one run.\n\n")
	fmt.Fprintf(w, "| target | limit | measured | verdict |\n|---|---|---|---|\n")
	addedVerdicts(w, m, 1.2, "server same-format added latency ÷ floor's", "server", "floor", nil, false)
	tv := verdict{limit: 0.9, atLeast: true, description: "server same-format throughput at saturation ÷ floor's"}
	for _, g := range groups(m) {
		tv.add(ratio(saturation(m, g.format, g.size, g.stream, "server"), saturation(m, g.format, g.size, g.stream, "floor")))
	}
	fmt.Fprintln(w, tv)
	addedVerdicts(w, m, 1.3, "2 KB: server cross-format added latency ÷ same-format's", "server-cross", "server",
		func(k cell) bool { return k.size == 2048 }, false)
	addedVerdicts(w, shared, 1.1, "server on PostgreSQL and Redis: added latency ÷ on SQLite's", "server-shared", "server-single", nil, true)
	bench := parseBench(gotest)
	lv := verdict{limit: 1.10, description: "library: BenchmarkRoundTrip routex ÷ bare-transport, ns/op"}
	if b, r := bench["BenchmarkRoundTrip/bare-transport"], bench["BenchmarkRoundTrip/routex"]; b.ns > 0 && r.ns > 0 {
		lv.add(r.ns / b.ns)
	}
	fmt.Fprintln(w, lv)
	mv := verdict{limit: 1.10, description: "library: BenchmarkLibrary routex ÷ bare, ns/op, every cell"}
	for name, r := range bench {
		if base, ok := strings.CutSuffix(name, "/routex"); ok {
			if b := bench[base+"/bare"]; b.ns > 0 {
				mv.add(r.ns / b.ns)
			}
		}
	}
	fmt.Fprintln(w, mv)
	for _, pc := range []struct {
		name string
		pick func(result) float64
	}{{"p50", p50}, {"p99", p99}} {
		v := verdict{limit: 1.10, description: fmt.Sprintf("library: load generator's latency through routex.Client ÷ through http.Transport (direct), %s, c=1, same format", pc.name)}
		for k, row := range m {
			l, d := row["library"], row["direct"]
			if k.c == 1 && l.N > 0 && d.N > 0 && l.Errors == 0 && d.Errors == 0 {
				v.add(ratio(pc.pick(l), pc.pick(d)))
			}
		}
		fmt.Fprintln(w, v)
	}
	for _, r := range rs {
		if r.Phase == "hold" && r.System == "server" {
			status := "met"
			if float64(r.RSSPeak)*1024/1e6 >= 100 || r.Errors > 0 || r.Flight < 1000 {
				status = fmt.Sprintf("**missed** (%.0f%% over)", (float64(r.RSSPeak)*1024/1e6 - 100))
			}
			fmt.Fprintf(w, "| 1 000 concurrent streams held: server RSS peak | < 100 MB | %.1f MB (%.1f MiB), %d in flight, %d errors of %d | %s |\n",
				float64(r.RSSPeak)*1024/1e6, float64(r.RSSPeak)/1024, r.Flight, r.Errors, r.N, status)
		}
	}
	idle, ready := []float64{}, []float64{}
	for _, s := range stacks {
		idle = append(idle, float64(s.ServerIdle)*1024/1e6)
		ready = append(ready, float64(s.ReadyMS))
	}
	for _, row := range parseStartup(startup) {
		ready = append(ready, row[0])
		idle = append(idle, row[1]*1024*1024/1e6)
	}
	if len(idle) > 0 {
		fmt.Fprintf(w, "| idle RSS of the server | < 40 MB | %s MB | %s |\n", spread(idle), under(idle, 40))
		fmt.Fprintf(w, "| startup to ready | < 200 ms | %s ms | %s |\n", spread(ready), under(ready, 200))
	}
	fmt.Fprintln(w)
}

// addedVerdicts prints one target row per concurrency (1, 64) and
// percentile (p50, p99): the latency sys adds ÷ the latency base adds, over
// the cells keep takes (all when nil). With quiet, rows without a figure
// are left out.
func addedVerdicts(w io.Writer, m map[cell]map[string]result, limit float64, what, sys, base string, keep func(cell) bool, quiet bool) {
	for _, c := range []int{1, 64} {
		for _, pc := range []struct {
			name string
			pick func(result) float64
		}{{"p50", p50}, {"p99", p99}} {
			v := verdict{limit: limit, description: fmt.Sprintf("%s, %s, c=%d", what, pc.name, c)}
			for k, row := range m {
				if k.c == c && (keep == nil || keep(k)) {
					v.add(addedRatio(row, sys, base, pc.pick))
				}
			}
			if !quiet || len(v.vals) > 0 {
				fmt.Fprintln(w, v)
			}
		}
	}
}

func spread(xs []float64) string {
	lo, hi := slices.Min(xs), slices.Max(xs)
	if lo == hi {
		return fmt.Sprintf("%.1f", lo)
	}
	return fmt.Sprintf("%.1f–%.1f", lo, hi)
}

func under(xs []float64, limit float64) string {
	if hi := slices.Max(xs); hi >= limit {
		return fmt.Sprintf("**missed** (worst %.0f%% over)", (hi-limit)/limit*100)
	}
	return "met"
}

// parseStartup reads bench/startup.sh's table: ms and MiB per line.
func parseStartup(b []byte) [][2]float64 {
	var out [][2]float64
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) != 4 || f[0] == "run" {
			continue
		}
		ms, err1 := strconv.ParseFloat(f[2], 64)
		mib, err2 := strconv.ParseFloat(f[3], 64)
		if err1 == nil && err2 == nil {
			out = append(out, [2]float64{ms, mib})
		}
	}
	return out
}

func fmtRatio(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x)
}

func ratios(w io.Writer, m map[cell]map[string]result) {
	fmt.Fprintf(w, "## Ratios by cell\n\n")
	fmt.Fprintf(w, "Added latency of the server (same format) ÷ the floor's; throughput at saturation (best of c=64 and c=512)\n")
	fmt.Fprintf(w, "server ÷ floor; added latency of the server cross-format ÷ same-format; CPU time per request, server ÷ floor (c=64).\n\n")
	fmt.Fprintf(w, "| format | size | body | c=1 p50 | c=1 p99 | c=64 p50 | c=64 p99 | throughput | cross c=1 p50 | cross c=1 p99 | cross c=64 p50 | cross c=64 p99 | CPU/req |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range groups(m) {
		r1, r64 := m[cell{g.format, g.size, g.stream, 1, ""}], m[cell{g.format, g.size, g.stream, 64, ""}]
		cpu := math.NaN()
		if s, f := r64["server"], r64["floor"]; s.CPUPerRq > 0 && f.CPUPerRq > 0 {
			cpu = s.CPUPerRq / f.CPUPerRq
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			g.format, sizeName(g.size), kind(g.stream),
			fmtRatio(addedRatio(r1, "server", "floor", p50)), fmtRatio(addedRatio(r1, "server", "floor", p99)),
			fmtRatio(addedRatio(r64, "server", "floor", p50)), fmtRatio(addedRatio(r64, "server", "floor", p99)),
			fmtRatio(ratio(saturation(m, g.format, g.size, g.stream, "server"), saturation(m, g.format, g.size, g.stream, "floor"))),
			fmtRatio(addedRatio(r1, "server-cross", "server", p50)), fmtRatio(addedRatio(r1, "server-cross", "server", p99)),
			fmtRatio(addedRatio(r64, "server-cross", "server", p50)), fmtRatio(addedRatio(r64, "server-cross", "server", p99)),
			fmtRatio(cpu))
	}
	fmt.Fprintln(w)
}

// dur formats microseconds.
func dur(us float64) string {
	a := math.Abs(us)
	switch {
	case a < 1000:
		return fmt.Sprintf("%.0f µs", us)
	case a < 10000:
		return fmt.Sprintf("%.2f ms", us/1000)
	case a < 100000:
		return fmt.Sprintf("%.1f ms", us/1000)
	}
	return fmt.Sprintf("%.0f ms", us/1000)
}

func closedTables(w io.Writer, m map[cell]map[string]result) {
	fmt.Fprintf(w, "## Closed loop (fixed concurrency)\n\n")
	fmt.Fprintf(w, "`+p50` etc.: added over direct in the same cell. `÷floor`: that, divided by the floor's. TTFB: to the first\n")
	fmt.Fprintf(w, "whole stream event. CPU and RSS are the system under test's (for library rows: the load generator's own\n")
	fmt.Fprintf(w, "process, which embeds routex); direct rows have none.\n\n")
	for _, f := range []string{"anthropic", "openai", "openai-responses"} {
		var rows []cell
		for _, k := range cells(m) {
			if k.format == f {
				rows = append(rows, k)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "<details><summary>%s callers</summary>\n\n", f)
		fmt.Fprintf(w, "| size | body | c | system | req/s | p50 | p99 | max | +p50 | +p99 | +max | ÷floor p50 | ÷floor p99 | TTFB p50 | +TTFB p50 | TTFB p99 | CPU/req | RSS peak | errors |\n")
		fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, k := range rows {
			row := m[k]
			for _, sys := range systems {
				r, ok := row[sys]
				if !ok {
					continue
				}
				cols := []string{sizeName(k.size), kind(k.stream), strconv.Itoa(k.c), sys, fmt.Sprintf("%.0f", r.RPS),
					dur(r.P50), dur(r.P99), dur(r.Max)}
				for _, pick := range []func(result) float64{p50, p99, pmax} {
					if a, ok := added(row, sys, pick); ok && sys != "direct" {
						cols = append(cols, dur(a))
					} else {
						cols = append(cols, "")
					}
				}
				if sys == "direct" || sys == "floor" {
					cols = append(cols, "", "")
				} else {
					cols = append(cols, fmtRatio(addedRatio(row, sys, "floor", p50)), fmtRatio(addedRatio(row, sys, "floor", p99)))
				}
				if k.stream {
					a, ok := added(row, sys, ttfb50)
					at := ""
					if ok && sys != "direct" {
						at = dur(a)
					}
					cols = append(cols, dur(r.TTFB50), at, dur(r.TTFB99))
				} else {
					cols = append(cols, "", "", "")
				}
				if r.CPUPerRq > 0 {
					cols = append(cols, dur(r.CPUPerRq), fmt.Sprintf("%.1f MiB", float64(r.RSSPeak)/1024))
				} else {
					cols = append(cols, "", "")
				}
				errs := strconv.Itoa(r.Errors)
				if r.Errors > 0 {
					errs += " (" + strings.ReplaceAll(truncate(r.FirstErr, 60), "|", "/") + ")"
				}
				cols = append(cols, errs)
				fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
			}
		}
		fmt.Fprintf(w, "\n</details>\n\n")
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// inPhase returns the results of one phase of the run, in their order.
func inPhase(rs []result, phase string) []result {
	var out []result
	for _, r := range rs {
		if r.Phase == phase {
			out = append(out, r)
		}
	}
	return out
}

func openTable(w io.Writer, rs []result) {
	open := inPhase(rs, "rate")
	if len(open) == 0 {
		return
	}
	fmt.Fprintf(w, "## Open loop (vegeta, fixed rate)\n\n")
	fmt.Fprintf(w, "Rates are fractions of the floor's closed-loop throughput at saturation in the same cell (2 KB).\n")
	fmt.Fprintf(w, "A system that cannot keep up answers fewer requests a second than asked, and its latency grows with the queue.\n\n")
	fmt.Fprintf(w, "| format | body | rate asked | system | req/s | p50 | p99 | max | TTFB p50 | TTFB p99 | CPU/req | errors |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range open {
		t50, t99 := "", ""
		if r.Stream {
			t50, t99 = dur(r.TTFB50), dur(r.TTFB99)
		}
		cpu := ""
		if r.CPUPerRq > 0 {
			cpu = dur(r.CPUPerRq)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %.0f | %s | %s | %s | %s | %s | %s | %d |\n",
			r.Format, kind(r.Stream), r.Rate, r.System, r.RPS, dur(r.P50), dur(r.P99), dur(r.Max), t50, t99, cpu, r.Errors)
	}
	fmt.Fprintln(w)
}

func holdTable(w io.Writer, rs []result) {
	hold := inPhase(rs, "hold")
	if len(hold) == 0 {
		return
	}
	fmt.Fprintf(w, "## 1 000 concurrent streams\n\n")
	fmt.Fprintf(w, "Closed loop, 1 000 callers, each stream long enough to overlap all the others (see the mock flags in the conditions).\n\n")
	fmt.Fprintf(w, "| system | streams in flight (max) | answered | errors | RSS before | RSS peak | CPU time | TTFB p50 | TTFB p99 |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range hold {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.1f MiB | %.1f MiB | %.1f s | %s | %s |\n",
			r.System, r.Flight, r.N, r.Errors, float64(r.RSSStart)/1024, float64(r.RSSPeak)/1024, r.CPU, dur(r.TTFB50), dur(r.TTFB99))
	}
	fmt.Fprintln(w)
}

func memoryTable(w io.Writer, stacks []stack, startup []byte) {
	fmt.Fprintf(w, "## Startup and idle memory\n\n")
	if len(stacks) > 0 {
		fmt.Fprintf(w, "Each start of the systems by bench/run.sh (server: first run on a new data directory, with the config file\n")
		fmt.Fprintf(w, "and headless administrator; ready = exec to the first answered /health; RSS after 2 s idle, a proxy key created):\n\n")
		fmt.Fprintf(w, "| start | server ready | server idle RSS | floor idle RSS | mock idle RSS |\n|---|---|---|---|---|\n")
		for i, s := range stacks {
			fmt.Fprintf(w, "| %d | %d ms | %.1f MiB | %.1f MiB | %.1f MiB |\n", i+1, s.ReadyMS,
				float64(s.ServerIdle)/1024, float64(s.FloorIdle)/1024, float64(s.MockIdle)/1024)
		}
		fmt.Fprintln(w)
	}
	if len(bytes.TrimSpace(startup)) > 0 {
		fmt.Fprintf(w, "bench/startup.sh (no config; first run and restart on the same directory):\n\n```\n%s```\n\n", startup)
	}
}

// bench is a benchmark's median result over its -count runs.
type bench struct {
	ns, bytes, allocs float64
	runs              int
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+[\d.]+ MB/s)?\s+(\d+) B/op\s+(\d+) allocs/op`)

func parseBench(b []byte) map[string]bench {
	raw := map[string][][3]float64{}
	for line := range bytes.Lines(b) {
		sm := benchLine.FindSubmatch(bytes.TrimSpace(line))
		if sm == nil {
			continue
		}
		var v [3]float64
		for i := range 3 {
			v[i], _ = strconv.ParseFloat(string(sm[i+2]), 64)
		}
		raw[string(sm[1])] = append(raw[string(sm[1])], v)
	}
	out := map[string]bench{}
	for name, vs := range raw {
		var r bench
		r.runs = len(vs)
		for i, dst := range []*float64{&r.ns, &r.bytes, &r.allocs} {
			col := make([]float64, len(vs))
			for j := range vs {
				col[j] = vs[j][i]
			}
			slices.Sort(col)
			*dst = col[len(col)/2]
		}
		out[name] = r
	}
	return out
}

func goTests(w io.Writer, gotest []byte) {
	bs := parseBench(gotest)
	if len(bs) == 0 {
		return
	}
	fmt.Fprintf(w, "## Library mode (in-process, go test -benchmem)\n\n")
	fmt.Fprintf(w, "Medians over the runs. Allocations include the in-process mock's, the same for the three rows of a cell:\n")
	fmt.Fprintf(w, "what routex allocates per request is the difference to bare.\n\n")
	fmt.Fprintf(w, "| benchmark | ns/op | ÷ bare | B/op | allocs/op | allocs over bare |\n|---|---|---|---|---|---|\n")
	names := make([]string, 0, len(bs))
	for n := range bs {
		names = append(names, n)
	}
	order := func(n string) string {
		// Keep each cell's bare, routex and routex-cross rows together,
		// in the order the benchmarks define the cells.
		for i, s := range []string{"200B", "2KB", "100KB"} {
			n = strings.Replace(n, "/"+s+"/", fmt.Sprintf("/%d/", i), 1)
		}
		return n
	}
	sort.Slice(names, func(i, j int) bool { return order(names[i]) < order(names[j]) })
	for _, n := range names {
		r := bs[n]
		base, x, over := "", "", ""
		if i := strings.LastIndexByte(n, '/'); i > 0 {
			base = n[:i]
		}
		bare, ok := bs[base+"/bare"]
		if !ok {
			bare, ok = bs[base+"/bare-transport"]
		}
		if ok && bare.ns > 0 && !strings.HasSuffix(n, "/bare") && !strings.HasSuffix(n, "/bare-transport") {
			x = fmtRatio(r.ns / bare.ns)
			over = fmt.Sprintf("+%.0f", r.allocs-bare.allocs)
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %.0f | %.0f | %s |\n", n, r.ns, x, r.bytes, r.allocs, over)
	}
	fmt.Fprintln(w)
}

// buckets are the parts of the server a CPU sample can fall in, by symbol
// prefix, most specific first.
var buckets = []struct{ name, prefix string }{
	{"routex: converters, SSE (transformer)", "github.com/routex/routex/transformer"},
	{"routex: usage records (analytics)", "github.com/routex/routex/analytics"},
	{"routex: storage (SQLite store)", "github.com/routex/routex/storage"},
	{"routex: balancer, breaker, session, tokens", "github.com/routex/routex/"},
	{"routex: Client pipeline (root package)", "github.com/routex/routex."},
	{"examples/server (auth, metrics, live)", "main."},
	{"SQLite (modernc)", "modernc.org/"},
	{"Prometheus client", "github.com/prometheus/"},
	{"gjson/sjson", "github.com/tidwall/"},
	{"encoding/json", "encoding/json"},
	{"crypto", "crypto/"},
	{"net/http, httputil, textproto", "net/http"},
	{"net/http, httputil, textproto", "net/textproto"},
	{"net, poll, syscall, bufio", "net."},
	{"net, poll, syscall, bufio", "internal/poll"},
	{"net, poll, syscall, bufio", "syscall"},
	{"net, poll, syscall, bufio", "internal/runtime/syscall"},
	{"net, poll, syscall, bufio", "bufio"},
	{"Go runtime: other (maps, strings, hashing)", "internal/runtime/maps"},
	{"Go runtime: other (maps, strings, hashing)", "memeqbody"},
	{"Go runtime: other (maps, strings, hashing)", "aeshash"},
	{"Go runtime: other (maps, strings, hashing)", "indexbyte"},
	{"Go runtime: other (maps, strings, hashing)", "indexbody"},
	{"Go runtime: other (maps, strings, hashing)", "internal/bytealg"},
	{"Go runtime: other (maps, strings, hashing)", "strings."},
	{"Go runtime: other (maps, strings, hashing)", "bytes."},
	{"Go runtime: scheduler, channels, timers", "gogo"},
	{"Go runtime: scheduler, channels, timers", "time."},
	{"Go runtime: scheduler, channels, timers", "sync."},
	{"Go runtime: scheduler, channels, timers", "context."},
	{"Go runtime: scheduler, channels, timers", "internal/sync"},
	{"Go runtime: scheduler, channels, timers", "internal/runtime"},
}

// runtimeBucket sorts a runtime.* symbol into allocation and GC (with the
// stack walks of GC and stack growth), copying, scheduling, or the rest.
func runtimeBucket(sym string) string {
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(sym, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("memmove"):
		return "Go runtime: memmove"
	case has("malloc", "gc", "GC", "scan", "mark", "span", "heap", "memclr", "wbBuf", "Barrier", "typePointers",
		"findObject", "greyobject", "newobject", "mcache", "mcentral", "sweep", "growslice", "makeslice", "newarray", "stkbucket", "profilealloc",
		"pcvalue", "unwind", "stkframe", "findfunc", "funcInfo", "stack", "runtime.step", "readvarint", "funcdata", "funcspdelta"):
		return "Go runtime: allocation and GC"
	case has("select", "chan", "sched", "park", "ready", "wake", "runq", "netpoll", "futex", "lock", "mcall", "gosched",
		"steal", "timer", "nanotime", "usleep", "note", "gogo", "goexit", "systemstack", "morestack", "findRunnable",
		"execute", "entersyscall", "exitsyscall", "sema", "goroutine", "newproc", "gopark", "spinning", "osyield", "procyield"):
		return "Go runtime: scheduler, channels, timers"
	}
	return "Go runtime: other (maps, strings, hashing)"
}

var perfLine = regexp.MustCompile(`^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.+?)\s*$`)

// perfBuckets sums a perf report's self time by part of the program.
func perfBuckets(b []byte) []struct {
	name string
	pct  float64
} {
	sums := map[string]float64{}
	for line := range bytes.Lines(b) {
		sm := perfLine.FindStringSubmatch(string(line))
		if sm == nil {
			continue
		}
		pct, _ := strconv.ParseFloat(sm[1], 64)
		name := "other"
		switch {
		case sm[3] == "k":
			name = "kernel (TCP, syscalls, scheduling)"
		case sm[2] == "[vdso]":
			name = "kernel (TCP, syscalls, scheduling)"
		case strings.HasPrefix(sm[4], "runtime."):
			name = runtimeBucket(sm[4])
		default:
			for _, bk := range buckets {
				if strings.HasPrefix(sm[4], bk.prefix) {
					name = bk.name
					break
				}
			}
		}
		sums[name] += pct
	}
	out := make([]struct {
		name string
		pct  float64
	}, 0, len(sums))
	for n, p := range sums {
		out = append(out, struct {
			name string
			pct  float64
		}{n, p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pct > out[j].pct })
	return out
}

func profiles(w io.Writer, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "perf-*-self.txt"))
	if len(files) > 0 {
		fmt.Fprintf(w, "## Where the CPU time goes\n\n")
		fmt.Fprintf(w, "perf record on the floor and on examples/server under the closed loop at c=64, 2 KB, Anthropic callers;\n")
		fmt.Fprintf(w, "self time of the process, summed by part of the program.\n\n")
		var cols []string
		table := map[string]map[string]float64{}
		var order []string
		for _, f := range files {
			b, _ := os.ReadFile(f)
			col := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "perf-"), "-self.txt")
			cols = append(cols, col)
			for _, bk := range perfBuckets(b) {
				if table[bk.name] == nil {
					table[bk.name] = map[string]float64{}
					order = append(order, bk.name)
				}
				table[bk.name][col] = bk.pct
			}
		}
		fmt.Fprintf(w, "| part | %s |\n|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
		for _, name := range order {
			fmt.Fprintf(w, "| %s |", name)
			for _, c := range cols {
				fmt.Fprintf(w, " %.1f%% |", table[name][c])
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
	children, _ := filepath.Glob(filepath.Join(dir, "perf-*-children.txt"))
	files = append(files, children...)
	more, _ := filepath.Glob(filepath.Join(dir, "lib-*.txt"))
	files = append(files, more...)
	if len(files) == 0 {
		return
	}
	fmt.Fprintf(w, "## Profiles\n\n")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[:30]
		}
		fmt.Fprintf(w, "<details><summary>%s</summary>\n\n```\n%s\n```\n\n</details>\n\n", filepath.Base(f), strings.Join(lines, "\n"))
	}
}

func init() { log.SetFlags(0) }

// sharedTable compares one server on PostgreSQL and Redis with one on
// SQLite, each with limits on every channel, in the same cells.
func sharedTable(w io.Writer, m, free map[cell]map[string]result) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "## Shared state: one server on PostgreSQL and Redis against one on SQLite\n\n")
	fmt.Fprintf(w, "Both servers have a per-minute and a per-day limit on every channel, so that each request takes from the quota\n")
	fmt.Fprintf(w, "(on Redis, for server-shared: the one call a request waits on). Session: an X-Session-Id per caller (bound once,\n")
	fmt.Fprintf(w, "then known locally) or a new one per request (a shared lookup and a shared put on every request).\n")
	fmt.Fprintf(w, "Ratios divide the latency server-shared adds over direct by the latency server-single adds.\n\n")
	fmt.Fprintf(w, "A row \"no limits\" is a channel without limits on the same servers: no quota to take.\n\n")
	fmt.Fprintf(w, "| body | c | session | direct p50 | single p50 | shared p50 | ratio p50 | direct p99 | single p99 | shared p99 | ratio p99 | CPU/req single | CPU/req shared | req/s single | req/s shared | errors |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	rows := func(m map[cell]map[string]result, label string) {
		for _, k := range cells(m) {
			sharedRow(w, k, m[k], label)
		}
	}
	rows(m, "")
	rows(free, ", no limits")
	fmt.Fprintln(w)
}

func sharedRow(w io.Writer, k cell, row map[string]result, label string) {
	d, s1, s2 := row["direct"], row["server-single"], row["server-shared"]
	fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %d |\n",
		kind(k.stream), k.c, k.session+label, dur(d.P50), dur(s1.P50), dur(s2.P50), fmtRatio(addedRatio(row, "server-shared", "server-single", p50)),
		dur(d.P99), dur(s1.P99), dur(s2.P99), fmtRatio(addedRatio(row, "server-shared", "server-single", p99)),
		dur(s1.CPUPerRq), dur(s2.CPUPerRq), s1.RPS, s2.RPS, d.Errors+s1.Errors+s2.Errors)
}
