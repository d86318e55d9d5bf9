package handler

import (
	"context"
	"sync"
	"time"
)

// requestCtx is the one context an adapter gives a request (see
// adapterkit.NewRequestContext): it carries the invocation and, once
// [Serve] has set it, the request ID, and it may add a deadline whose timer
// starts only when Done is first called. One allocation replaces the value
// contexts and the timer context an adapter would otherwise stack.
type requestCtx struct {
	parent context.Context
	inv    Invocation
	id     *string // &Request.RequestID, set by Serve before the handler runs

	// deadline is the context's own deadline as a monoClock reading; 0:
	// none. It is materialised as a time.Time (deadlineTime) only when
	// asked for, so that making the context reads one clock, not two.
	deadline time.Duration

	mu       sync.Mutex
	hasInv   bool // next to mu and canceled, which pack with it
	canceled bool
	inner    context.Context // context.WithDeadline(parent), once armed
	stop     context.CancelFunc
}

// newRequestContext returns parent with inv (unless it is the zero
// Invocation) and, when timeout > 0 and sooner than parent's, a deadline
// timeout from now. endRequest releases the deadline's timer.
func newRequestContext(parent context.Context, inv Invocation, timeout time.Duration) context.Context {
	c := new(requestCtx)
	c.init(parent, inv, timeout)
	return c
}

// init makes c, a zero requestCtx, what newRequestContext returns.
func (c *requestCtx) init(parent context.Context, inv Invocation, timeout time.Duration) {
	c.parent, c.inv, c.hasInv = parent, inv, inv != Invocation{}
	if timeout <= 0 {
		return
	}
	// A timeout so long that the reading overflows is no deadline.
	if dl := monoClock() + timeout; dl > 0 {
		if cur, ok := parent.Deadline(); !ok || cur.After(clockEpoch.Add(dl)) {
			c.deadline = dl
		}
	}
}

// clockEpoch is the origin of monoClock: a time.Now reading, which
// carries the monotonic clock.
var clockEpoch = time.Now()

// monoClock returns the time elapsed since clockEpoch on the monotonic
// clock: one clock read, where time.Now makes two (the wall clock and the
// monotonic one).
func monoClock() time.Duration { return time.Since(clockEpoch) }

// deadlineTime returns c's own deadline as a time.Time. Its monotonic
// reading is exact; its wall clock reading is clockEpoch's plus the
// monotonic time elapsed, so it differs from a fresh time.Now's only by
// what the wall clock was stepped since the process started.
func (c *requestCtx) deadlineTime() time.Time { return clockEpoch.Add(c.deadline) }

// endRequest cancels a context from newRequestContext, releasing its
// timer; on any other context it does nothing.
func endRequest(ctx context.Context) {
	if c, ok := ctx.(*requestCtx); ok {
		c.end()
	}
}

// end is endRequest for c.
func (c *requestCtx) end() {
	c.mu.Lock()
	if c.canceled {
		c.mu.Unlock()
		return
	}
	c.canceled = true
	stop := c.stop
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func (c *requestCtx) Deadline() (time.Time, bool) {
	if c.deadline == 0 {
		return c.parent.Deadline()
	}
	return c.deadlineTime(), true
}

// arm returns the context that does the canceling: the parent when there
// is no deadline of its own and endRequest was not called, else the
// deadline context, made on first use.
func (c *requestCtx) arm() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		if c.deadline == 0 && !c.canceled {
			return c.parent
		}
		if c.deadline == 0 {
			c.inner, c.stop = context.WithCancel(c.parent)
		} else {
			c.inner, c.stop = context.WithDeadline(c.parent, c.deadlineTime())
		}
		if c.canceled {
			c.stop()
		}
	}
	return c.inner
}

func (c *requestCtx) Done() <-chan struct{} { return c.arm().Done() }

func (c *requestCtx) Err() error {
	c.mu.Lock()
	inner, canceled := c.inner, c.canceled
	c.mu.Unlock()
	switch {
	case inner != nil:
		return inner.Err()
	case canceled:
		return context.Canceled
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.deadline != 0 && monoClock() >= c.deadline {
		return context.DeadlineExceeded
	}
	return nil
}

// Value answers the request ID and the invocation itself, anything else
// from the parent (or from the armed context). The context package finds a
// context's canceler (for context.Cause and to link derived contexts)
// through a key of type *int; for such a key the context is armed first,
// so that the answer is this context's own canceler.
func (c *requestCtx) Value(key any) any {
	switch key {
	case requestIDKey:
		if c.id != nil {
			return c.id
		}
	case invocationKey:
		if c.hasInv {
			return &c.inv
		}
	}
	if _, ok := key.(*int); ok {
		return c.arm().Value(key)
	}
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Value(key)
	}
	return c.parent.Value(key)
}

// String names the context for debugging, as the context package's do.
func (c *requestCtx) String() string {
	if c.deadline == 0 {
		return "handler.requestContext"
	}
	return "handler.requestContext(deadline " + c.deadlineTime().String() + ")"
}
