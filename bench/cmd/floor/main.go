// Command floor is the baseline the proxy benchmarks compare against: a
// bare httputil.ReverseProxy in front of one upstream, with nothing but
// what any Go proxy needs: keeping as many idle connections to the upstream
// as it has callers (http.DefaultTransport keeps 2 per host, and would
// measure connection set-up instead of proxying), and flushing every write,
// as examples/server does for streams. Everything else is the standard
// library's default.
//
// Each request is served full duplex: an HTTP/1 server otherwise closes the
// request body once the response begins, and when an upstream answers
// before the transport's last read of the body (which checks that no more
// than Content-Length follows), the transport drops the upstream
// connection and cuts the stream (golang/go#40747). examples/server does
// not meet this: the Client reads the whole body before sending it.
//
//	floor -addr 127.0.0.1:19002 -upstream http://127.0.0.1:19001
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19002", "listen address")
	upstream := flag.String("upstream", "http://127.0.0.1:19001", "where to send requests")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Host == "" {
		log.Fatalf("floor: -upstream %q: want an absolute URL", *upstream)
	}

	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
		FlushInterval: -1,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fullDuplex := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: fullDuplex, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(os.Stderr, "floor: listening on %s, proxying to %s\n", ln.Addr(), target)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
