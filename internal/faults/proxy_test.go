package faults_test

import (
	"bufio"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/internal/faults"
)

// recorder is a line server: it counts the lines it received and answers
// each with "ok".
type recorder struct {
	ln    net.Listener
	lines atomic.Int64
	got   chan string
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln, got: make(chan string, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					r.lines.Add(1)
					r.got <- sc.Text()
					if _, err := c.Write([]byte("ok\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return r
}

// roundTrip sends line and reads the answer; it reports the error.
func roundTrip(c net.Conn, line string) (string, error) {
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

func TestProxyModes(t *testing.T) {
	r := newRecorder(t)
	p, err := faults.NewProxy(r.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	// Pass.
	c := dial()
	if ans, err := roundTrip(c, "one"); err != nil || ans != "ok\n" {
		t.Fatalf("pass: %q, %v", ans, err)
	}
	<-r.got

	// DropAnswer: the server gets the request, the client no answer.
	p.Set(faults.DropAnswer)
	if ans, err := roundTrip(c, "two"); err == nil {
		t.Fatalf("drop: the client got %q", ans)
	}
	if got := <-r.got; got != "two" {
		t.Fatalf("drop: the server got %q", got)
	}

	// Refuse: new connections are reset before anything reaches the
	// server.
	p.Set(faults.Refuse)
	before := r.lines.Load()
	if rc, err := net.Dial("tcp", p.Addr()); err == nil { // or reset as it connects
		ans, err := roundTrip(rc, "three")
		rc.Close()
		if err == nil {
			t.Fatalf("refuse: the client got %q", ans)
		}
	}
	if r.lines.Load() != before {
		t.Fatal("refuse: a line reached the server")
	}

	// Hold: nothing passes until the mode changes; then the held request
	// arrives, late.
	p.Set(faults.Pass)
	c = dial()
	if _, err := roundTrip(c, "warm"); err != nil {
		t.Fatal(err)
	}
	<-r.got
	p.Set(faults.Hold)
	if _, err := c.Write([]byte("four\n")); err != nil {
		t.Fatal(err)
	}
	for p.Stats().Held == 0 {
		time.Sleep(time.Millisecond) // until the proxy has read the line
	}
	select {
	case got := <-r.got:
		t.Fatalf("hold: %q passed", got)
	default:
	}
	p.Set(faults.Pass)
	if got := <-r.got; got != "four" {
		t.Fatalf("after hold: the server got %q", got)
	}
	st := p.Stats()
	if st.Dropped != 1 || st.Refused < 1 || st.Held < 1 || st.Accepted != 2 {
		t.Fatalf("stats %+v", st)
	}
}
