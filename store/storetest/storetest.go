// Package storetest is the conformance suite of package store: the
// executable definition of what every backend must do. A backend's tests
// call [Run] with a function that returns a fresh driver:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) driver.Driver {
//			return newDriverOnAFreshTable(t)
//		})
//	}
//
// Run wraps each driver with driver.NewStore and a fake clock, so the suite
// also checks that the driver and the portable layer fit together: it is
// the same suite for memstore and for the cloud backends on their
// emulators.
//
// # Skips
//
// A backend that cannot provide a behaviour (usually because its emulator
// lacks it) names it in Capabilities().Limitations, with the reason: the
// key is the name of a subtest of Run relative to Run's test, such as
// "Atomic" or "Atomic/RollbackOnCondition", and the subtest and those below
// it are skipped with t.Skip and the reason. A key that names no subtest
// fails the suite, so a skip can never hide behind a typo.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// Run runs the conformance suite. newDriver must return a driver over a
// fresh, empty collection each time it is called; it is called from
// parallel subtests, so it must be safe for concurrent use, and it may
// register cleanups with t (dropping the collection, closing clients) and
// skip or fail t when its emulator is missing.
func Run(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	t.Helper()
	root := t.Name()
	var (
		capsMu sync.Mutex
		caps   *store.Capabilities
	)
	t.Cleanup(func() {
		capsMu.Lock()
		defer capsMu.Unlock()
		if caps == nil {
			return
		}
		for name := range caps.Limitations {
			if !knownName(name) {
				t.Errorf("Capabilities().Limitations names %q, which is not a subtest of storetest.Run (known: %s)", name, strings.Join(topNames(), ", "))
			}
		}
	})
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newDriver(t)
			c := d.Capabilities()
			capsMu.Lock()
			if caps == nil {
				caps = &c
			}
			capsMu.Unlock()
			e := &env{
				root:  root,
				caps:  c,
				d:     d,
				clock: newClock(),
				ctx:   context.Background(),
			}
			e.skipIfLimited(t)
			e.s = driver.NewStore(d, store.WithClock(e.clock.Now))
			tc.fn(t, e)
		})
	}
}

// testCase is one top-level subtest.
type testCase struct {
	name string
	// subs lists the names of the subtests fn runs, for Limitations checks.
	subs []string
	fn   func(t *testing.T, e *env)
}

// suite is filled by the files that define the tests.
var suite []testCase

func knownName(name string) bool {
	top, sub, nested := strings.Cut(name, "/")
	for _, tc := range suite {
		if tc.name != top {
			continue
		}
		if !nested {
			return true
		}
		for _, s := range tc.subs {
			if s == sub || strings.HasPrefix(sub, s+"/") {
				return true
			}
		}
	}
	return false
}

func topNames() []string {
	out := make([]string, len(suite))
	for i, tc := range suite {
		out[i] = tc.name
	}
	return out
}

// env is what a test works with: the portable Store over a fresh driver,
// and the fake clock it expires items against.
type env struct {
	root  string
	caps  store.Capabilities
	d     driver.Driver
	s     store.Store
	clock *clock
	ctx   context.Context
}

// skipIfLimited skips t if a Limitation names it or one of its parents.
func (e *env) skipIfLimited(t *testing.T) {
	t.Helper()
	rel := strings.TrimPrefix(t.Name(), e.root+"/")
	for name := rel; ; {
		if reason, ok := e.caps.Limitations[name]; ok {
			t.Skipf("%s declares limitation %q: %s", e.caps.Backend, name, reason)
		}
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return
		}
		name = name[:i]
	}
}

// run runs a named subtest of a top-level test, honouring Limitations.
func (e *env) run(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		e.skipIfLimited(t)
		fn(t)
	})
}

// clock is a fake clock, starting at the current second.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// helpers

func (e *env) put(t *testing.T, key store.Key, data map[string]any, cond ...store.Condition) store.Revision {
	t.Helper()
	rev, err := e.s.Put(e.ctx, &store.Item{Key: key, Data: data}, cond...)
	if err != nil {
		t.Fatalf("Put(%v): %v", key, err)
	}
	if rev == "" {
		t.Fatalf("Put(%v) returned an empty revision", key)
	}
	return rev
}

func (e *env) get(t *testing.T, key store.Key) *store.Item {
	t.Helper()
	it, err := e.s.Get(e.ctx, key)
	if err != nil {
		t.Fatalf("Get(%v): %v", key, err)
	}
	return it
}

func (e *env) wantMissing(t *testing.T, key store.Key) {
	t.Helper()
	it, err := e.s.Get(e.ctx, key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%v) = %v, %v; want ErrNotFound", key, it, err)
	}
}

// wantErr checks that err is an *store.Error of kind for op.
func wantErr(t *testing.T, what string, err, kind error, op string) {
	t.Helper()
	if kind == nil {
		if err != nil {
			t.Errorf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %v; want %v", what, err, kind)
		return
	}
	var se *store.Error
	if !errors.As(err, &se) {
		t.Errorf("%s: error %v (%T) is not a *store.Error", what, err, err)
	} else if op != "" && se.Op != op {
		t.Errorf("%s: error %v has Op %q; want %q", what, err, se.Op, op)
	}
}

func equalData(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: data differs\n got: %s\nwant: %s", what, show(got), show(want))
	}
}

// show prints data with the types of numbers, which the contract fixes.
func show(v any) string {
	switch v := v.(type) {
	case map[string]any:
		var b strings.Builder
		b.WriteString("{")
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: %s", k, show(v[k]))
		}
		b.WriteString("}")
		return b.String()
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func keysOf(items []*store.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key.Sort
	}
	return out
}
