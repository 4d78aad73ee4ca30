package redis

import (
	"context"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// maxBatch is the most scripts one round trip carries.
const maxBatch = 256

// scriptCall is one script a caller of Take or AddTokens waits on.
type scriptCall struct {
	script *goredis.Script
	keys   []string
	args   []any
	cmd    *goredis.Cmd  // the answer, once done is closed
	done   chan struct{} // closed when cmd is set
}

// pipeline sends the quota scripts of concurrent callers together. A call
// that finds no other in flight is sent at once, by its own goroutine, as
// any go-redis command is. Calls made while one is in flight queue, and
// one writer sends everything queued in one round trip, again and again
// until the queue is empty: under load a request costs Redis and this
// process a share of a round trip rather than one each, and alone it costs
// nothing more. Each script still runs on its own and atomically in Redis.
type pipeline struct {
	rdb *goredis.Client

	mu      sync.Mutex
	busy    bool // a call or the writer is in flight
	queue   []*scriptCall
	closed  bool
	writers sync.WaitGroup
}

func newPipeline(rdb *goredis.Client) *pipeline { return &pipeline{rdb: rdb} }

// call runs script and waits for its answer, or for ctx. A queued call
// given up on still runs: like a script sent alone whose answer came too
// late, it may have counted.
func (p *pipeline) call(ctx context.Context, script *goredis.Script, keys []string, args ...any) *goredis.Cmd {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errCmd(ctx, goredis.ErrClosed)
	}
	if !p.busy {
		p.busy = true
		p.mu.Unlock()
		cmd := script.Run(ctx, p.rdb, keys, args...)
		p.release()
		return cmd
	}
	c := &scriptCall{script: script, keys: keys, args: args, done: make(chan struct{})}
	p.queue = append(p.queue, c)
	p.mu.Unlock()
	select {
	case <-c.done:
		return c.cmd
	case <-ctx.Done():
		return errCmd(ctx, ctx.Err())
	}
}

// release ends a call sent alone: what queued meanwhile goes to a writer.
func (p *pipeline) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.busy = false
		return
	}
	p.writers.Add(1)
	go p.write()
}

// write sends the queue in batches until it finds it empty.
func (p *pipeline) write() {
	defer p.writers.Done()
	for {
		p.mu.Lock()
		batch := p.queue
		p.queue = nil
		if len(batch) == 0 {
			p.busy = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		for len(batch) > 0 {
			n := min(len(batch), maxBatch)
			p.send(batch[:n])
			batch = batch[n:]
		}
	}
}

func errCmd(ctx context.Context, err error) *goredis.Cmd {
	cmd := goredis.NewCmd(ctx)
	cmd.SetErr(err)
	return cmd
}

// send runs the batch's scripts in one round trip. The bounds on the
// connection's reads and writes (failFast) bound it: no caller's context
// may end the others' calls.
func (p *pipeline) send(batch []*scriptCall) {
	ctx := context.Background()
	if len(batch) == 1 {
		c := batch[0]
		c.cmd = c.script.Run(ctx, p.rdb, c.keys, c.args...)
		close(c.done)
		return
	}
	pipe := p.rdb.Pipeline()
	for _, c := range batch {
		c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each call's error is in its own cmd
	for _, c := range batch {
		// A Redis restarted since the script was loaded has forgotten
		// it: Run loads it again.
		if err := c.cmd.Err(); err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") {
			c.cmd = c.script.Run(ctx, p.rdb, c.keys, c.args...)
		}
		close(c.done)
	}
}

// stop refuses new calls and waits for the writer to answer the queued
// ones.
func (p *pipeline) stop() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.writers.Wait()
}
