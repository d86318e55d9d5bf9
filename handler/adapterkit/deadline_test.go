package adapterkit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

func TestContextWithTimeout(t *testing.T) {
	t.Run("deadline-without-timer", func(t *testing.T) {
		ctx, cancel := adapterkit.ContextWithTimeout(context.Background(), time.Hour)
		defer cancel()
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) <= 0 {
			t.Errorf("Deadline() = %v, %v", dl, ok)
		}
		if err := ctx.Err(); err != nil {
			t.Errorf("Err() = %v before the deadline", err)
		}
	})
	t.Run("expired-without-done", func(t *testing.T) {
		// A deadline already past: Err says so without Done being called.
		ctx, cancel := adapterkit.ContextWithTimeout(context.Background(), -time.Second)
		defer cancel()
		if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Err() = %v, want DeadlineExceeded", err)
		}
		<-ctx.Done() // closed at once once armed
		if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Cause = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("cancel-before-done", func(t *testing.T) {
		ctx, cancel := adapterkit.ContextWithTimeout(context.Background(), time.Hour)
		cancel()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want Canceled", err)
		}
		<-ctx.Done()
	})
	t.Run("cancel-after-done", func(t *testing.T) {
		ctx, cancel := adapterkit.ContextWithTimeout(context.Background(), time.Hour)
		done := ctx.Done()
		child, stop := context.WithCancel(ctx)
		defer stop()
		cancel()
		<-done
		<-child.Done()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want Canceled", err)
		}
	})
	t.Run("parent-canceled", func(t *testing.T) {
		parent, cancelParent := context.WithCancel(context.Background())
		ctx, cancel := adapterkit.ContextWithTimeout(parent, time.Hour)
		defer cancel()
		cancelParent()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want Canceled", err)
		}
		<-ctx.Done()
	})
	t.Run("derived-context-expires", func(t *testing.T) {
		ctx, cancel := adapterkit.ContextWithTimeout(context.Background(), -time.Second)
		defer cancel()
		child, stop := context.WithCancel(ctx)
		defer stop()
		<-child.Done()
		if err := child.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("child Err() = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("values", func(t *testing.T) {
		type key struct{}
		ctx, cancel := adapterkit.ContextWithTimeout(context.WithValue(context.Background(), key{}, "v"), time.Hour)
		defer cancel()
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
		ctx, cancel := adapterkit.ContextWithTimeout(parent, time.Hour)
		defer cancel()
		want, _ := parent.Deadline()
		if dl, _ := ctx.Deadline(); !dl.Equal(want) {
			t.Errorf("Deadline() = %v, want the parent's %v", dl, want)
		}
	})
}
