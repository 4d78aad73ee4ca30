// Command load sends one kind of request to one system for a fixed time and
// prints a JSON line of what it measured: throughput, latency percentiles,
// time to the first stream event, and the memory and CPU time the system
// under test used meanwhile.
//
// Closed loop (a fixed number of callers, each sending its next request
// when the previous one is answered):
//
//	load -system floor -target http://127.0.0.1:19002 -format anthropic -size 2048 -c 64 -d 5s
//
// Open loop at a fixed rate, with vegeta (github.com/tsenart/vegeta), which
// sends on schedule whether or not earlier requests were answered:
//
//	load -system floor -target http://127.0.0.1:19002 -format openai -stream -rate 2000 -d 5s
//
// With -via routex the load generator's own transport is a routex.Client
// whose channels point at -target (an "anthropic" channel serving claude-*
// and an "openai" channel serving gpt-*), which measures the library mode:
// a caller embedding routex instead of going through a proxy.
//
// Each answer is checked (status 200, and a whole message or a stream that
// ended properly, in the caller's format); one that fails counts as an
// error and its latency is left out.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/routex/routex"
	"github.com/routex/routex/bench/internal/payload"
)

// Result is one output line.
type Result struct {
	System  string  `json:"system"`
	Via     string  `json:"via"`
	Phase   string  `json:"phase,omitempty"`
	Format  string  `json:"format"`
	Model   string  `json:"model"`
	Size    int     `json:"size"`
	Stream  bool    `json:"stream"`
	Mode    string  `json:"mode"`           // "closed" or "rate"
	C       int     `json:"c,omitempty"`    // closed loop: callers
	Rate    int     `json:"rate,omitempty"` // open loop: requests per second asked for
	Seconds float64 `json:"seconds"`
	Session string  `json:"session,omitempty"` // X-Session-Id: per "caller" or per "request"

	N         int     `json:"n"`      // answers judged, in the measured window
	Errors    int     `json:"errors"` // of which failed
	FirstErr  string  `json:"first_error,omitempty"`
	RPS       float64 `json:"rps"` // good answers per second
	MaxFlight int64   `json:"max_in_flight"`

	// Latency of the good answers, µs, from sending to the last byte.
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	Max  float64 `json:"max_us"`
	Mean float64 `json:"mean_us"`
	// Streams: time to the first whole event, µs.
	TTFB50  float64 `json:"ttfb_p50_us,omitempty"`
	TTFB99  float64 `json:"ttfb_p99_us,omitempty"`
	TTFBMax float64 `json:"ttfb_max_us,omitempty"`

	RSSStart int64   `json:"rss_start_kib,omitempty"`
	RSSEnd   int64   `json:"rss_end_kib,omitempty"`
	RSSPeak  int64   `json:"rss_peak_kib,omitempty"`
	CPU      float64 `json:"cpu_s,omitempty"`          // CPU time of -pid in the window
	CPUPerRq float64 `json:"cpu_us_per_req,omitempty"` // that, per good answer
	// Foreign is the CPU time, in cores, that processes other than this
	// one and those of -stack used during the window: how busy the
	// machine was with work that is not the benchmark's.
	Foreign float64 `json:"foreign_cores"`
	Time    string  `json:"time"`
}

func main() {
	var (
		system   = flag.String("system", "", "name of the system under test, for the output")
		phase    = flag.String("phase", "", "label of the part of the run, for the output")
		target   = flag.String("target", "http://127.0.0.1:19001", "base URL requests go to (with -via routex: the upstream of its channels)")
		via      = flag.String("via", "http", `the load generator's transport: "http" (a bare http.Transport) or "routex" (a routex.Client)`)
		format   = flag.String("format", "anthropic", `caller format: "anthropic", "openai", "openai-responses" or "gemini"`)
		model    = flag.String("model", "", "model to ask for (default claude-sonnet-4-5, gpt-4o, o3-mini or gemini-2.5-flash by format)")
		size     = flag.Int("size", 2048, "request body size in bytes")
		stream   = flag.Bool("stream", false, "ask for a streamed answer")
		conc     = flag.Int("c", 1, "closed loop: concurrent callers")
		rate     = flag.Int("rate", 0, "open loop: requests per second (vegeta); 0 runs the closed loop")
		workers  = flag.Int("max-workers", 4096, "open loop: most requests in flight")
		dur      = flag.Duration("d", 5*time.Second, "measured time")
		warm     = flag.Duration("warmup", time.Second, "time sent but not measured, first")
		key      = flag.String("key", "mock", "API key (x-api-key for anthropic, x-goog-api-key for gemini, Authorization: Bearer for openai)")
		pid      = flag.Int("pid", 0, "process to watch for memory and CPU time (0: none; -1: this one)")
		timeout  = flag.Duration("timeout", 60*time.Second, "per-request timeout")
		out      = flag.String("o", "", "append the result line to this file as well as printing it")
		maxConns = flag.Int("conns", 0, "most connections to the target (0: as many as needed)")
		stack    = flag.String("stack", "", "comma-separated pids of the benchmark's other processes (mock, proxies), whose CPU time is not foreign")
		heapProf = flag.String("heapprofile", "", "write this process's heap profile here halfway through the window (with -via routex: what routex holds)")
		session  = flag.String("session", "", `closed loop: send an X-Session-Id header, one value per "caller" goroutine or a new one per "request" ("" sends none)`)
	)
	flag.Parse()
	f := payload.Format(*format)
	if !f.Valid() {
		log.Fatalf("load: -format %q: want anthropic, openai, openai-responses or gemini", *format)
	}
	if *model == "" {
		*model = map[payload.Format]string{payload.Anthropic: "claude-sonnet-4-5", payload.OpenAI: "gpt-4o", payload.Responses: "o3-mini", payload.Gemini: "gemini-2.5-flash"}[f]
	}
	body := payload.Build(f, *model, *size, *stream)

	base, url, closeBase := transport(*via, *target, *conc, *maxConns)
	defer closeBase()
	p := &probe{base: base, format: f, stream: *stream}
	hdr := http.Header{"Content-Type": {"application/json"}}
	switch f {
	case payload.Anthropic:
		hdr.Set("X-Api-Key", *key)
		hdr.Set("Anthropic-Version", "2023-06-01")
	case payload.Gemini:
		hdr.Set("X-Goog-Api-Key", *key)
	default:
		hdr.Set("Authorization", "Bearer "+*key)
	}
	url += f.Endpoint(*model, *stream)

	watch := proc{pid: *pid}
	if *pid == -1 {
		watch.pid = os.Getpid()
	}
	res := Result{
		System: *system, Via: *via, Phase: *phase, Format: string(f), Model: *model, Size: len(body), Stream: *stream,
		Seconds: dur.Seconds(), Session: *session, Time: time.Now().UTC().Format(time.RFC3339),
	}
	var w window
	w.watch = watch
	w.started = make(chan struct{})
	w.own = []proc{{pid: os.Getpid()}}
	for _, f := range strings.Split(*stack, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			w.own = append(w.own, proc{pid: n})
		}
	}
	if *heapProf != "" {
		go func() {
			<-w.started
			time.Sleep(*dur / 2)
			writeHeap(*heapProf)
		}()
	}
	var got []outcome
	if *rate > 0 {
		res.Mode, res.Rate = "rate", *rate
		got = openLoop(p, url, hdr, body, *rate, *workers, *warm, *dur, *timeout, &w)
	} else {
		res.Mode, res.C = "closed", *conc
		if *session != "" && *session != "caller" && *session != "request" {
			log.Fatalf("load: -session %q: want caller, request or nothing", *session)
		}
		got = closedLoop(p, url, hdr, body, *conc, *warm, *dur, *timeout, *session, &w)
	}
	res.MaxFlight = w.maxFlight.Load()
	if secs := w.endAt.Sub(w.startAt).Seconds(); secs > 0 {
		res.Foreign = round2(max(w.busyEnd-w.busyStart-(w.ownEnd-w.ownStart), 0) / secs)
	}
	summarise(&res, got, *dur)
	if watch.pid > 0 {
		res.RSSStart, res.RSSEnd, res.RSSPeak = w.rssStart, w.rssEnd, w.rssPeak
		res.CPU = w.cpuEnd - w.cpuStart
		if good := res.N - res.Errors; good > 0 {
			res.CPUPerRq = round1(res.CPU * 1e6 / float64(good))
		}
	}
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	if *out != "" {
		fh, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		fh.Write(append(line, '\n'))
		fh.Close()
	}
	if res.N > 0 && res.Errors == res.N {
		os.Exit(1)
	}
}

// transport returns the load generator's transport and the base URL of its
// requests.
func transport(via, target string, conc, maxConns int) (http.RoundTripper, string, func()) {
	switch via {
	case "http":
		t := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        0,
			MaxIdleConnsPerHost: max(conc, 4096),
			MaxConnsPerHost:     maxConns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}
		return t, target, t.CloseIdleConnections
	case "routex":
		c, err := routex.New(
			routex.WithChannels(
				routex.Channel{ID: "anthropic", Type: routex.FormatAnthropic, BaseURL: target, APIKey: "mock", Models: []string{"claude-*"}},
				routex.Channel{ID: "openai", Type: routex.FormatOpenAI, BaseURL: target + "/v1", APIKey: "mock", Models: []string{"gpt-*"}},
				routex.Channel{ID: "responses", Type: routex.FormatResponses, BaseURL: target + "/v1", APIKey: "mock", Models: []string{"o3-*"}},
				routex.Channel{ID: "gemini", Type: routex.FormatGemini, BaseURL: target, APIKey: "mock", Models: []string{"gemini-*"}},
			),
			routex.WithLogger(slog.New(slog.DiscardHandler)),
		)
		if err != nil {
			log.Fatal(err)
		}
		return c, "http://routex.invalid", func() { c.Close() }
	}
	log.Fatalf("load: -via %q: want http or routex", via)
	return nil, "", nil
}

// window is the measured stretch of a run: what the watched process used
// in it, and how many requests were in flight at most.
type window struct {
	own                 []proc
	busyStart, busyEnd  float64
	ownStart, ownEnd    float64
	started             chan struct{}
	watch               proc
	rssStart, rssEnd    int64
	rssPeak             int64
	cpuStart, cpuEnd    float64
	inFlight, maxFlight atomic.Int64
	sampled             atomic.Int64
	stopSampling        chan struct{}
	sampling            sync.WaitGroup
	peakReset           bool
	startAt, endAt      time.Time
}

// begin marks the start of the measured window.
func (w *window) begin() {
	w.startAt = time.Now()
	w.maxFlight.Store(w.inFlight.Load())
	w.busyStart, w.ownStart = machineBusy(), w.ownCPU()
	close(w.started)
	if w.watch.pid <= 0 {
		return
	}
	w.rssStart = w.watch.rss()
	w.peakReset = w.watch.resetPeak()
	w.cpuStart = w.watch.cpu()
	// Sampling backs up the kernel's high-water mark where it cannot be
	// reset.
	w.stopSampling = make(chan struct{})
	w.sampling.Add(1)
	go func() {
		defer w.sampling.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stopSampling:
				return
			case <-t.C:
				if r := w.watch.rss(); r > w.sampled.Load() {
					w.sampled.Store(r)
				}
			}
		}
	}()
}

// end marks the end of the measured window.
func (w *window) end() {
	w.endAt = time.Now()
	w.busyEnd, w.ownEnd = machineBusy(), w.ownCPU()
	if w.watch.pid <= 0 {
		return
	}
	w.cpuEnd = w.watch.cpu()
	w.rssEnd = w.watch.rss()
	close(w.stopSampling)
	w.sampling.Wait()
	w.rssPeak = max(w.sampled.Load(), w.rssEnd)
	if w.peakReset {
		w.rssPeak = max(w.rssPeak, w.watch.peak())
	}
}

func (w *window) ownCPU() float64 {
	var s float64
	for _, p := range w.own {
		s += p.cpu()
	}
	return s
}

func (w *window) enter() {
	n := w.inFlight.Add(1)
	for {
		m := w.maxFlight.Load()
		if n <= m || w.maxFlight.CompareAndSwap(m, n) {
			return
		}
	}
}

func (w *window) leave() { w.inFlight.Add(-1) }

// closedLoop runs conc callers, each sending its next request when the last
// is answered, for warm and then dur; it returns the outcomes of requests
// started in the measured window.
func closedLoop(p *probe, url string, hdr http.Header, body []byte, conc int, warm, dur, timeout time.Duration, session string, w *window) []outcome {
	start := time.Now()
	from, until := start.Add(warm), start.Add(warm+dur)
	per := make([][]outcome, conc)
	var wg sync.WaitGroup
	begun := make(chan struct{})
	go func() {
		time.Sleep(time.Until(from))
		w.begin()
		close(begun)
	}()
	for i := range conc {
		wg.Go(func() {
			run := strconv.FormatInt(start.UnixNano(), 36)
			for n := 0; ; n++ {
				now := time.Now()
				if !now.Before(until) {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				req.Header = hdr.Clone()
				switch session {
				case "caller":
					req.Header.Set("X-Session-Id", "bench-"+run+"-"+strconv.Itoa(i))
				case "request":
					req.Header.Set("X-Session-Id", "bench-"+run+"-"+strconv.Itoa(i)+"-"+strconv.Itoa(n))
				}
				w.enter()
				o := p.do(req)
				w.leave()
				cancel()
				if !o.start.Before(from) && o.start.Before(until) {
					per[i] = append(per[i], o)
				}
			}
		})
	}
	<-begun
	time.Sleep(time.Until(until))
	w.end()
	wg.Wait()
	return slices.Concat(per...)
}

// openLoop sends rate requests a second with vegeta, for warm and then dur;
// it returns the outcomes of the measured attack.
func openLoop(p *probe, url string, hdr http.Header, body []byte, rate, workers int, warm, dur, timeout time.Duration, w *window) []outcome {
	client := &http.Client{Transport: p, Timeout: timeout}
	targeter := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodPost, URL: url, Body: body, Header: hdr})
	pace := vegeta.Rate{Freq: rate, Per: time.Second}
	attack := func(name string, d time.Duration) []*vegeta.Result {
		a := vegeta.NewAttacker(
			vegeta.Client(client),
			vegeta.Workers(uint64(min(workers, 64))),
			vegeta.MaxWorkers(uint64(workers)),
			vegeta.MaxBody(0),
		)
		var rs []*vegeta.Result
		for r := range a.Attack(targeter, pace, d, name) {
			rs = append(rs, r)
		}
		return rs
	}
	if warm > 0 {
		attack("warm", warm)
		p.byKey.Clear()
	}
	w.begin()
	// vegeta counts no requests in flight; the most it can have is its
	// worker count, which it raises as answers lag.
	rs := attack("measure", dur)
	w.end()
	out := make([]outcome, 0, len(rs))
	for _, r := range rs {
		o := outcome{start: r.Timestamp, end: r.Timestamp.Add(r.Latency)}
		if v, ok := p.byKey.Load("measure/" + strconv.FormatUint(r.Seq, 10)); ok {
			o.ttfb, o.err = v.(outcome).ttfb, v.(outcome).err
		} else if r.Error == "" {
			o.err = "no answer watched"
		}
		if r.Error != "" && o.err == "" {
			o.err = r.Error
		}
		out = append(out, o)
	}
	return out
}

// summarise fills res from the outcomes.
func summarise(res *Result, got []outcome, dur time.Duration) {
	var lat, ttfb []time.Duration
	for _, o := range got {
		res.N++
		if o.err != "" {
			res.Errors++
			if res.FirstErr == "" {
				res.FirstErr = o.err
			}
			continue
		}
		lat = append(lat, o.end.Sub(o.start))
		if res.Stream {
			ttfb = append(ttfb, o.ttfb)
		}
	}
	res.RPS = round1(float64(len(lat)) / dur.Seconds())
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	res.P50, res.P90, res.P99, res.Max = us(pct(lat, .50)), us(pct(lat, .90)), us(pct(lat, .99)), us(lat[len(lat)-1])
	res.Mean = us(sum / time.Duration(len(lat)))
	if len(ttfb) > 0 {
		slices.Sort(ttfb)
		res.TTFB50, res.TTFB99, res.TTFBMax = us(pct(ttfb, .50)), us(pct(ttfb, .99)), us(ttfb[len(ttfb)-1])
	}
}

// pct returns the q-quantile of sorted by the nearest-rank method.
func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func us(d time.Duration) float64 { return round1(float64(d) / 1e3) }

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func writeHeap(path string) {
	f, err := os.Create(path)
	if err != nil {
		log.Print(err)
		return
	}
	defer f.Close()
	runtime.GC() // the profile shows the heap as of the last collection
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		log.Print(err)
	}
}
