// Package faults injects the faults a cloud database shows a program, for
// the fault-injection suite: a TCP [Proxy] between the program and the
// database (an emulator) that passes traffic, refuses connections, holds
// them, or forwards a request and drops its answer; pausing and resuming
// the emulator's processes is [emulator.Process.Pause].
//
// The suite itself (ledger_test.go) serves the to-do example over HTTP on
// moto and on the Firestore emulator behind a Proxy, and runs a ledger of
// idempotent creates and updates, each retried with its Idempotency-Key,
// through every fault kind. It runs when ANYFUNC_FAULTS=1 (as .ci/run
// does), so that a plain go test ./... stays fast.
//
// [emulator.Process.Pause]: https://pkg.go.dev/github.com/anyfunc/anyfunc/internal/emulator#Process.Pause
package faults

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a Proxy does to traffic.
type Mode int32

// The proxy's modes.
const (
	// Pass forwards every byte both ways.
	Pass Mode = iota
	// Refuse resets every connection, open or new: the client sees its
	// connections reset and its new ones refused.
	Refuse
	// Hold forwards nothing, either way, until the mode changes: what was
	// read is then forwarded, late, if its connection is still open (a
	// request its client gave up on may still reach the server).
	Hold
	// DropAnswer forwards requests but drops any answer: when the server
	// sends anything back, the connection is reset instead, after the
	// server received (and may have applied) the request.
	DropAnswer
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Refuse:
		return "refuse"
	case Hold:
		return "hold"
	case DropAnswer:
		return "drop"
	}
	return "mode(?)"
}

// Stats counts what a Proxy did.
type Stats struct {
	// Accepted counts the connections forwarded.
	Accepted int64
	// Refused counts connections reset on accept or by entering Refuse.
	Refused int64
	// Held counts the chunks of bytes held back by Hold.
	Held int64
	// Dropped counts the answers dropped (connections reset) by
	// DropAnswer.
	Dropped int64
}

// Proxy is a TCP proxy whose Mode can be changed at any time. It is safe
// for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string
	mode   atomic.Int32

	mu     sync.Mutex
	cond   *sync.Cond // signalled when the mode changes or a conn dies
	conns  map[*conn]struct{}
	closed bool

	accepted, refused, held, dropped atomic.Int64
	wg                               sync.WaitGroup
}

// conn is one client connection and its upstream connection.
type conn struct {
	client, upstream net.Conn
	dead             bool // guarded by Proxy.mu
}

// NewProxy listens on a free port of 127.0.0.1 and forwards connections to
// target (host:port), in mode Pass.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: make(map[*conn]struct{})}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Mode returns the current mode.
func (p *Proxy) Mode() Mode { return Mode(p.mode.Load()) }

// Set changes the mode. Entering Refuse resets every open connection;
// leaving Hold releases what was held.
func (p *Proxy) Set(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode.Store(int32(m))
	if m == Refuse {
		for c := range p.conns {
			p.killLocked(c)
			p.refused.Add(1)
		}
	}
	p.cond.Broadcast()
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	return Stats{Accepted: p.accepted.Load(), Refused: p.refused.Load(), Held: p.held.Load(), Dropped: p.dropped.Load()}
}

// Close stops listening, resets every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		p.killLocked(c)
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.Mode() == Refuse {
			reset(c)
			p.refused.Add(1)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		reset(client)
		return
	}
	c := &conn{client: client, upstream: up}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		reset(client)
		up.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	p.accepted.Add(1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(c, client, up, false) }()
	go func() { defer wg.Done(); p.pump(c, up, client, true) }()
	wg.Wait()
	p.mu.Lock()
	p.killLocked(c)
	delete(p.conns, c)
	p.mu.Unlock()
}

// pump copies src to dst, as the mode allows; down is the server's
// direction.
func (p *Proxy) pump(c *conn, src, dst net.Conn, down bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.gate(c) {
				return
			}
			if down && p.Mode() == DropAnswer {
				p.dropped.Add(1)
				p.kill(c)
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				p.kill(c)
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				// Half-close: the other direction may still carry an
				// answer.
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
					return
				}
			}
			p.kill(c)
			return
		}
	}
}

// gate waits while the mode is Hold; it reports false if the connection
// died meanwhile (Refuse, Close, or the other direction failing).
func (p *Proxy) gate(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	counted := false
	for p.Mode() == Hold && !c.dead {
		if !counted {
			p.held.Add(1)
			counted = true
		}
		p.cond.Wait()
	}
	return !c.dead
}

func (p *Proxy) kill(c *conn) {
	p.mu.Lock()
	p.killLocked(c)
	p.mu.Unlock()
}

func (p *Proxy) killLocked(c *conn) {
	if c.dead {
		return
	}
	c.dead = true
	reset(c.client)
	reset(c.upstream)
	p.cond.Broadcast()
}

// reset closes c with a TCP reset rather than an orderly close.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
