package adapterkit

import (
	"context"
	"sync"
	"time"
)

// ContextWithTimeout is context.WithTimeout for a request's deadline, made
// cheap for the requests that never wait on it. Deadline reports the
// deadline at once and Err reports context.DeadlineExceeded once it has
// passed, but the timer that closes Done is started only when Done is
// first called (by a select, a derived context, an HTTP or SDK call). A
// handler that answers without waiting on anything (a validation error, a
// cache hit, a health check) so costs neither the timer nor its
// allocations. Calling cancel releases the timer, if one was started, and
// cancels the context, as context.WithTimeout's cancel does.
func ContextWithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	dl := time.Now().Add(d)
	if cur, ok := parent.Deadline(); ok && !cur.After(dl) {
		// The parent's deadline is sooner: it already applies.
		return context.WithCancel(parent)
	}
	c := &deadlineCtx{parent: parent, deadline: dl}
	return c, c.cancel
}

// deadlineCtx is a context whose deadline timer starts on the first Done.
type deadlineCtx struct {
	parent   context.Context
	deadline time.Time

	mu       sync.Mutex
	inner    context.Context // context.WithDeadline(parent), once Done was called
	stop     context.CancelFunc
	canceled bool
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Value answers from the parent, or from the armed context once Done was
// called. The context package finds a context's canceler (for
// context.Cause and to link derived contexts) through a key of type *int;
// for such a key the timer is armed first, so that the answer is this
// context's own canceler and not the parent's.
func (c *deadlineCtx) Value(key any) any {
	if _, ok := key.(*int); ok {
		c.Done()
	}
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Value(key)
	}
	return c.parent.Value(key)
}

func (c *deadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.stop = context.WithDeadline(c.parent, c.deadline)
		if c.canceled {
			c.stop()
		}
	}
	return c.inner.Done()
}

func (c *deadlineCtx) Err() error {
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
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *deadlineCtx) cancel() {
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

// String names the context as context.WithDeadline's does, for debugging.
func (c *deadlineCtx) String() string {
	return "adapterkit.ContextWithTimeout(" + c.deadline.String() + ")"
}
