// Command mockllm is the upstream of the load benchmarks: a stand-in for
// the Anthropic Messages, OpenAI Chat Completions, OpenAI Responses and
// Gemini APIs, streamed or not.
//
//	mockllm -addr 127.0.0.1:19001 -latency 0 -events 20 -event-gap 0
//
// Any path ending in /messages answers in Anthropic's format, any path
// ending in /chat/completions in OpenAI's, any path ending in /responses in
// the Responses API's; the request's "stream" field chooses between a JSON
// body and server-sent events. A path .../models/{model}:generateContent
// answers in Gemini's format, :streamGenerateContent as a stream (events
// with alt=sse, one JSON array without). GET /stats returns
// how many requests each format received, so a run can check where a
// proxy sent them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/routex/routex/bench/internal/mockllm"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19001", "listen address")
	latency := flag.Duration("latency", 0, "wait before the response headers (time to first token)")
	events := flag.Int("events", 20, "content deltas per stream, words per non-streamed answer")
	gap := flag.Duration("event-gap", 0, "wait between stream events")
	flag.Parse()

	h := mockllm.New(mockllm.Settings{Latency: *latency, Events: *events, EventGap: *gap})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"anthropic":%d,"openai":%d,"responses":%d,"gemini":%d,"other":%d}`+"\n",
			h.Stats.Anthropic.Load(), h.Stats.OpenAI.Load(), h.Stats.Responses.Load(), h.Stats.Gemini.Load(), h.Stats.Other.Load())
	})
	mux.Handle("/", h)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(os.Stderr, "mockllm: listening on %s (latency %s, %d events, gap %s)\n", ln.Addr(), *latency, *events, *gap)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
