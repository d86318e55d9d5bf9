package adapterkit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

func TestNewRequestContext(t *testing.T) {
	inv := handler.Invocation{Platform: "test", ID: "inv-1"}
	t.Run("deadline-without-timer", func(t *testing.T) {
		ctx := adapterkit.NewRequestContext(context.Background(), inv, time.Hour)
		defer adapterkit.EndRequest(ctx)
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) <= 0 {
			t.Errorf("Deadline() = %v, %v", dl, ok)
		}
		if err := ctx.Err(); err != nil {
			t.Errorf("Err() = %v before the deadline", err)
		}
		if got, ok := handler.InvocationFrom(ctx); !ok || *got != inv {
			t.Errorf("InvocationFrom = %+v, %v", got, ok)
		}
	})
	t.Run("deadline-from-now", func(t *testing.T) {
		before := time.Now()
		ctx := adapterkit.NewRequestContext(context.Background(), inv, time.Minute)
		after := time.Now()
		defer adapterkit.EndRequest(ctx)
		dl, ok := ctx.Deadline()
		if !ok || dl.Before(before.Add(time.Minute)) || dl.After(after.Add(time.Minute)) {
			t.Fatalf("Deadline() = %v, %v; want between %v and %v", dl, ok, before.Add(time.Minute), after.Add(time.Minute))
		}
		// The wall clock reading agrees too (to within the clock steps
		// since the process started: none in a test).
		if w := dl.Round(0); w.Before(before.Round(0).Add(time.Minute-time.Second)) || w.After(after.Round(0).Add(time.Minute+time.Second)) {
			t.Errorf("Deadline() wall clock %v, want about %v", w, before.Round(0).Add(time.Minute))
		}
		if again, _ := ctx.Deadline(); !again.Equal(dl) {
			t.Errorf("Deadline() changed: %v, then %v", dl, again)
		}
	})
	t.Run("huge-timeout", func(t *testing.T) {
		ctx := adapterkit.NewRequestContext(context.Background(), inv, time.Duration(1<<63-1))
		defer adapterkit.EndRequest(ctx)
		if err := ctx.Err(); err != nil {
			t.Errorf("Err() = %v with a timeout of 292 years", err)
		}
	})
	t.Run("no-timeout", func(t *testing.T) {
		ctx := adapterkit.NewRequestContext(context.Background(), handler.Invocation{}, 0)
		if _, ok := ctx.Deadline(); ok {
			t.Error("a deadline without a timeout")
		}
		if _, ok := handler.InvocationFrom(ctx); ok {
			t.Error("an invocation from the zero Invocation")
		}
		adapterkit.EndRequest(ctx)
		<-ctx.Done()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() after EndRequest = %v, want Canceled", err)
		}
	})
	t.Run("expired-without-done", func(t *testing.T) {
		// A deadline already past: Err says so without Done being called.
		ctx := adapterkit.NewRequestContext(context.Background(), inv, time.Nanosecond)
		defer adapterkit.EndRequest(ctx)
		dl, _ := ctx.Deadline()
		for !time.Now().After(dl) {
			time.Sleep(time.Microsecond) // the deadline is one nanosecond away
		}
		if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Err() = %v, want DeadlineExceeded", err)
		}
		<-ctx.Done() // armed now, and closed at once
		if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Cause = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("end-before-done", func(t *testing.T) {
		ctx := adapterkit.NewRequestContext(context.Background(), inv, time.Hour)
		adapterkit.EndRequest(ctx)
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want Canceled", err)
		}
		<-ctx.Done()
	})
	t.Run("end-after-done", func(t *testing.T) {
		ctx := adapterkit.NewRequestContext(context.Background(), inv, time.Hour)
		done := ctx.Done()
		child, stop := context.WithCancel(ctx)
		defer stop()
		adapterkit.EndRequest(ctx)
		<-done
		<-child.Done()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want Canceled", err)
		}
	})
	t.Run("parent-canceled", func(t *testing.T) {
		parent, cancelParent := context.WithCancel(context.Background())
		ctx := adapterkit.NewRequestContext(parent, inv, time.Hour)
		defer adapterkit.EndRequest(ctx)
		child, stop := context.WithCancel(ctx)
		defer stop()
		cancelParent()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want Canceled", err)
		}
		<-ctx.Done()
		<-child.Done()
	})
	t.Run("derived-context-expires", func(t *testing.T) {
		ctx := adapterkit.NewRequestContext(context.Background(), inv, time.Nanosecond)
		defer adapterkit.EndRequest(ctx)
		child, stop := context.WithCancel(ctx)
		defer stop()
		<-child.Done()
		if err := child.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("child Err() = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("values", func(t *testing.T) {
		type key struct{}
		ctx := adapterkit.NewRequestContext(context.WithValue(context.Background(), key{}, "v"), inv, time.Hour)
		defer adapterkit.EndRequest(ctx)
		if ctx.Value(key{}) != "v" {
			t.Error("value of the parent lost")
		}
		ctx.Done()
		if ctx.Value(key{}) != "v" {
			t.Error("value of the parent lost once armed")
		}
	})
	t.Run("sooner-parent-deadline", func(t *testing.T) {
		parent, cancelParent := context.WithTimeout(context.Background(), time.Minute)
		defer cancelParent()
		ctx := adapterkit.NewRequestContext(parent, inv, time.Hour)
		defer adapterkit.EndRequest(ctx)
		want, _ := parent.Deadline()
		if dl, _ := ctx.Deadline(); !dl.Equal(want) {
			t.Errorf("Deadline() = %v, want the parent's %v", dl, want)
		}
	})
	t.Run("request-id", func(t *testing.T) {
		ctx := adapterkit.NewRequestContext(context.Background(), inv, 0)
		var seen, seenInv string
		h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			seen = handler.RequestIDFrom(ctx)
			if got, ok := handler.InvocationFrom(ctx); ok {
				seenInv = got.ID
			}
			return nil, nil
		})
		handler.Serve(ctx, h, &handler.Request{Method: "GET", Path: "/", RequestID: "req-1"})
		if seen != "req-1" || seenInv != "inv-1" {
			t.Errorf("the handler saw request ID %q and invocation %q, want req-1 and inv-1", seen, seenInv)
		}
		// Served again with the same context: the second request's ID.
		handler.Serve(ctx, h, &handler.Request{Method: "GET", Path: "/", RequestID: "req-2"})
		if seen != "req-2" {
			t.Errorf("second request: the handler saw request ID %q, want req-2", seen)
		}
	})
}
