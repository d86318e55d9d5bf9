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

	deadline time.Time // zero: no deadline of its own

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
	if timeout > 0 {
		dl := time.Now().Add(timeout)
		if cur, ok := parent.Deadline(); !ok || cur.After(dl) {
			c.deadline = dl
		}
	}
}

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
	if c.deadline.IsZero() {
		return c.parent.Deadline()
	}
	return c.deadline, true
}

// arm returns the context that does the canceling: the parent when there
// is no deadline of its own and endRequest was not called, else the
// deadline context, made on first use.
func (c *requestCtx) arm() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		if c.deadline.IsZero() && !c.canceled {
			return c.parent
		}
		if c.deadline.IsZero() {
			c.inner, c.stop = context.WithCancel(c.parent)
		} else {
			c.inner, c.stop = context.WithDeadline(c.parent, c.deadline)
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
	if !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
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
	if c.deadline.IsZero() {
		return "handler.requestContext"
	}
	return "handler.requestContext(deadline " + c.deadline.String() + ")"
}
