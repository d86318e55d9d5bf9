package queuetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/queue/memqueue"
	"github.com/anyfunc/anyfunc/queue/queuetest"
)

// A backend's conformance test: each call of New returns a fresh queue
// and a subscription of it whose leases last lease.
func ExampleRun() {
	_ = func(t *testing.T) {
		queuetest.Run(t, queuetest.Harness{New: func(t *testing.T, lease time.Duration) queuetest.Pair {
			b := memqueue.New(memqueue.WithVisibilityTimeout(lease))
			d, err := b.OpenDriver(context.Background(), "conformance")
			if err != nil {
				t.Fatal(err)
			}
			return queuetest.Pair{Queue: d, Subscription: d, Delete: func(context.Context) error { return b.Delete("conformance") }}
		}})
	}
	// Output:
}
