package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// spy wraps the memstore driver and records what the portable layer sends
// it; shortPages makes Query answer one item at a time.
type spy struct {
	*memstore.Driver
	mu         sync.Mutex
	calls      int
	getMany    [][]store.Key
	shortPages bool
	emptyMore  bool
}

func (s *spy) record() {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
}

func (s *spy) Get(ctx context.Context, k store.Key) (*store.Item, error) {
	s.record()
	return s.Driver.Get(ctx, k)
}

func (s *spy) Put(ctx context.Context, it *store.Item, c store.Condition, now time.Time) (store.Revision, error) {
	s.record()
	return s.Driver.Put(ctx, it, c, now)
}

func (s *spy) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	s.record()
	s.mu.Lock()
	s.getMany = append(s.getMany, keys)
	s.mu.Unlock()
	return s.Driver.GetMany(ctx, keys)
}

func (s *spy) Query(ctx context.Context, q *driver.Query) ([]*store.Item, bool, error) {
	s.record()
	if s.emptyMore {
		return nil, true, nil
	}
	items, more, err := s.Driver.Query(ctx, q)
	if s.shortPages && len(items) > 1 {
		items, more = items[:1], true
	}
	return items, more, err
}

// slowGet is a driver whose Get is always throttled, asking for an hour's
// wait.
type slowGet struct{ *memstore.Driver }

func (slowGet) Get(context.Context, store.Key) (*store.Item, error) {
	return nil, &store.Error{Kind: store.ErrThrottled, RetryAfter: time.Hour}
}

func newSpy(opts ...store.Option) (*spy, store.Store) {
	d := &spy{Driver: memstore.NewDriver()}
	return d, driver.NewStore(d, opts...)
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	fast := store.WithRetry(3, time.Microsecond, time.Microsecond)
	d, s := newSpy(fast)
	k := store.Key{Partition: "p", Sort: "k"}
	if _, err := s.Put(ctx, &store.Item{Key: k}); err != nil {
		t.Fatal(err)
	}

	// Throttled reads and writes are retried up to the attempt limit.
	d.FailNext(memstore.OpGet, 2, store.ErrThrottled)
	if _, err := s.Get(ctx, k); err != nil {
		t.Errorf("Get after 2 throttled attempts of 3: %v", err)
	}
	d.FailNext(memstore.OpGet, 3, store.ErrThrottled)
	_, err := s.Get(ctx, k)
	var se *store.Error
	if !errors.Is(err, store.ErrThrottled) || !errors.As(err, &se) || se.Op != "get" {
		t.Errorf("Get after 3 throttled attempts of 3: %v; want ErrThrottled with Op get", err)
	}
	d.FailNext(memstore.OpPut, 2, store.ErrThrottled)
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"v": 2}}); err != nil {
		t.Errorf("Put after 2 throttled attempts: %v", err)
	}

	// Unavailable: reads are retried, writes are not (they may have
	// happened).
	d.FailNext(memstore.OpQuery, 2, store.ErrUnavailable)
	if _, err := s.Query(ctx, store.Query{Partition: "p"}); err != nil {
		t.Errorf("Query after 2 unavailable attempts: %v", err)
	}
	d.FailNext(memstore.OpGetMany, 1, store.ErrUnavailable)
	if _, err := s.GetMany(ctx, []store.Key{k}); err != nil {
		t.Errorf("GetMany after 1 unavailable attempt: %v", err)
	}
	d.FailNext(memstore.OpPut, 1, store.ErrUnavailable)
	_, err = s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"v": 3}})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Put after an unavailable attempt: %v; want ErrUnavailable, not retried", err)
	}
	if it, _ := s.Get(ctx, k); it.Data["v"] != int64(2) {
		t.Errorf("a failed Put changed the item: %v", it.Data)
	}
	d.FailNext(memstore.OpDelete, 1, store.ErrUnavailable)
	if err := s.Delete(ctx, k); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Delete after an unavailable attempt: %v", err)
	}

	// WriteMany retries the throttled writes; Atomic retries the call.
	d.FailNext(memstore.OpWriteMany, 2, store.ErrThrottled)
	if err := s.WriteMany(ctx, []store.Write{store.PutOp(&store.Item{Key: store.Key{Partition: "p", Sort: "w"}})}); err != nil {
		t.Errorf("WriteMany after 2 throttled attempts: %v", err)
	}
	d.FailNext(memstore.OpAtomic, 2, store.ErrThrottled)
	if err := s.Atomic(ctx, []store.Write{store.DeleteOp(store.Key{Partition: "p", Sort: "w"})}); err != nil {
		t.Errorf("Atomic after 2 throttled attempts: %v", err)
	}
	d.FailNext(memstore.OpWriteMany, 3, store.ErrThrottled)
	err = s.WriteMany(ctx, []store.Write{store.PutOp(&store.Item{Key: store.Key{Partition: "p", Sort: "w"}})})
	var be *store.BatchError
	if !errors.As(err, &be) || !errors.Is(be.Errs[0], store.ErrThrottled) {
		t.Errorf("WriteMany after 3 throttled attempts: %v; want a BatchError with ErrThrottled", err)
	}

	// A wait that would outlast the context's deadline is not started.
	// (The backend asks for an hour: a jittered wait alone may be short.)
	slow := driver.NewStore(slowGet{memstore.NewDriver()}, store.WithRetry(5, time.Hour, time.Hour))
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := slow.Get(tctx, k); !errors.Is(err, store.ErrThrottled) {
		t.Errorf("Get with an hour's backoff and a minute's deadline: %v; want ErrThrottled at once", err)
	}
}

func TestCancelledContextSkipsDriver(t *testing.T) {
	d, s := newSpy()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Get(ctx, store.Key{Partition: "p"})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get with a cancelled context: %v", err)
	}
	_, err = s.GetMany(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("GetMany(nil) with a cancelled context: %v", err)
	}
	if d.calls != 0 {
		t.Errorf("the driver was called %d times with a cancelled context", d.calls)
	}
}

func TestGetManyDeduplicates(t *testing.T) {
	ctx := context.Background()
	d, s := newSpy()
	a, b := store.Key{Partition: "p", Sort: "a"}, store.Key{Partition: "p", Sort: "b"}
	if _, err := s.Put(ctx, &store.Item{Key: a, Data: map[string]any{"x": 1}}); err != nil {
		t.Fatal(err)
	}
	items, err := s.GetMany(ctx, []store.Key{a, b, a, a, b})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]store.Key{{a, b}}; !reflect.DeepEqual(d.getMany, want) {
		t.Errorf("driver GetMany calls %v; want %v", d.getMany, want)
	}
	if items[0] == nil || items[1] != nil || items[2] == nil || items[3] == nil || items[4] != nil {
		t.Fatalf("GetMany = %v", items)
	}
	if items[0] == items[2] || items[2] == items[3] {
		t.Error("GetMany returned one *Item for repeated keys")
	}
}

func TestQueryFillsShortPages(t *testing.T) {
	ctx := context.Background()
	d, s := newSpy()
	d.shortPages = true
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "p", Sort: k}}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.Query(ctx, store.Query{Partition: "p", Limit: 3})
	if err != nil || len(page.Items) != 3 || page.Next == "" {
		t.Fatalf("Query over one-item driver pages: %v, %v; want 3 items and a cursor", page, err)
	}
	page, err = s.Query(ctx, store.Query{Partition: "p", Limit: 3, Cursor: page.Next})
	if err != nil || len(page.Items) != 2 || page.Next != "" || page.Items[0].Key.Sort != "d" {
		t.Fatalf("second page: %v, %v; want d, e and no cursor", page, err)
	}
	d.emptyMore = true
	_, err = s.Query(ctx, store.Query{Partition: "p"})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Query over a driver that returns empty pages with more: %v; want ErrUnavailable", err)
	}
}

func TestNormalizeValue(t *testing.T) {
	for _, tc := range []struct {
		in, want any
	}{
		{int8(-3), int64(-3)},
		{uint(7), int64(7)},
		{uint64(math.MaxInt64), int64(math.MaxInt64)},
		{float32(0.1), 0.1},
		{1e18, int64(1e18)},
		{1e19, 1e19},
		{-0.5, -0.5},
		{json.Number("-9223372036854775808"), int64(math.MinInt64)},
		// Integer literals beyond int64 as encoding/json writes a float64.
		{json.Number("100000000000000000000"), 1e20},
		{json.Number("-10000000000000000000"), -1e19},
		{json.Number("18446744073709552000"), 18446744073709552000.0},
		{[]int{1, 2}, []any{int64(1), int64(2)}},
		{map[string][]string{"a": {"b"}}, map[string]any{"a": []any{"b"}}},
		{[]string(nil), nil},
		{[2]bool{true, false}, []any{true, false}},
	} {
		got, err := driver.NormalizeValue(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("NormalizeValue(%#v) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	// Integers beyond int64 that a float64 would round are refused.
	for _, in := range []any{
		uint64(math.MaxUint64), uint64(1<<63 + 1), uint64(1 << 63), uint(math.MaxUint),
		json.Number("18446744073709551615"), json.Number("9223372036854775808"),
		json.Number("-9223372036854775809"), json.Number("123456789012345678901234567890"),
		json.Number("1" + strings.Repeat("0", 400)),
	} {
		if got, err := driver.NormalizeValue(in); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("NormalizeValue(%v) = %#v, %v; want ErrInvalidArgument", in, got, err)
		}
	}
	_, err := driver.NormalizeValue(map[string]any{"a": []any{1, map[string]any{"b": time.Second * 0}}})
	if err == nil || !strings.Contains(err.Error(), `"a[1].b"`) {
		t.Errorf("unsupported nested value: %v; want an error naming a[1].b", err)
	}
}

func TestItemSizeMatchesJSON(t *testing.T) {
	docs := []map[string]any{
		{},
		{"s": "plain", "n": int64(-123), "b": true, "z": nil},
		{"esc": "\"\\\n\r\t\b\f\x01<>&\u2028\u2029é🎉", "k\"ey": "v"},
		{"f": []any{0.1, 1e21, 1e20, 1e-7, 1e-6, -2.5e-100, 123456789.125, float64(1 << 60)}},
		{"m": map[string]any{"l": []any{}, "m": map[string]any{}, "x": []any{int64(1), "2", map[string]any{"y": false}}}},
	}
	for _, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		k := store.Key{Partition: "pp", Sort: "sss"}
		if got, want := driver.ItemSize(k, d), len(b)+5; got != want {
			t.Errorf("ItemSize(%s) = %d; want %d", b, got, want)
		}
	}
}

func TestApplyFieldOpsOverflow(t *testing.T) {
	d := map[string]any{"n": int64(math.MaxInt64)}
	if err := driver.ApplyFieldOps(d, []store.FieldOp{store.Increment("n", int64(1))}); err != nil {
		t.Fatal(err)
	}
	if d["n"] != float64(math.MaxInt64)+1 {
		t.Errorf("MaxInt64+1 = %#v; want a float64", d["n"])
	}
}

func TestErrorsName(t *testing.T) {
	_, s := newSpy()
	_, err := s.Put(context.Background(), &store.Item{Key: store.Key{Partition: "p"}, Data: map[string]any{"a": map[string]any{"__b__": 1}}})
	if want := `store: put: invalid argument: field "a": field name "__b__" is reserved`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q; want it to start with %q", err, want)
	}
}

func TestGetManyNamesTheBadKey(t *testing.T) {
	_, s := newSpy()
	_, err := s.GetMany(context.Background(), []store.Key{{Partition: "a"}, {Partition: "b"}, {}})
	if want := "store: getmany: invalid argument: keys[2]: the partition key is empty"; err == nil || err.Error() != want {
		t.Errorf("error %q; want %q", err, want)
	}
}

func TestMalformedWrites(t *testing.T) {
	_, s := newSpy()
	ctx := context.Background()
	k := store.Key{Partition: "p", Sort: "k"}
	writes := []store.Write{
		{Kind: store.WritePut},
		{Kind: store.WritePut, Key: store.Key{Partition: "other"}, Item: &store.Item{Key: k}},
		{Kind: 42, Key: k},
		store.UpdateOp(k, []store.FieldOp{store.Set("a", 1)}, store.IfNotExists()),
		store.DeleteOp(store.Key{}),
		store.DeleteOp(k, store.IfRevision("")),
		{Kind: store.WritePut, Item: &store.Item{Key: k}}, // Key may be left empty
	}
	err := s.WriteMany(ctx, writes)
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("WriteMany = %v; want a *BatchError", err)
	}
	for i := range 6 {
		if !errors.Is(be.Errs[i], store.ErrInvalidArgument) {
			t.Errorf("write %d: %v; want ErrInvalidArgument", i, be.Errs[i])
		}
	}
	if be.Errs[6] != nil {
		t.Errorf("write 6: %v", be.Errs[6])
	}
	if err := s.Atomic(ctx, writes[2:3]); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Atomic with an unknown kind: %v", err)
	}
	var big []store.Write
	blob := strings.Repeat("x", 300*1024)
	for i := range 8 {
		big = append(big, store.PutOp(&store.Item{Key: store.Key{Partition: "p", Sort: string(rune('a' + i))}, Data: map[string]any{"b": blob}}))
	}
	if err := s.Atomic(ctx, big); !errors.Is(err, store.ErrTooLarge) {
		t.Errorf("Atomic of 2.4 MB: %v; want ErrTooLarge", err)
	}
}

// TestApplyWrite checks the one-write helper drivers share: each kind goes
// to the driver's own method, and an unknown kind is refused.
func TestApplyWrite(t *testing.T) {
	ctx := context.Background()
	d := memstore.NewDriver()
	now := time.Now()
	k := store.Key{Partition: "p", Sort: "a"}
	steps := []struct {
		w    store.Write
		want error
	}{
		{store.PutOp(&store.Item{Key: k, Data: map[string]any{"n": int64(1)}}, store.IfNotExists()), nil},
		{store.PutOp(&store.Item{Key: k, Data: map[string]any{}}, store.IfNotExists()), store.ErrAlreadyExists},
		{store.UpdateOp(k, []store.FieldOp{store.Increment("n", int64(2))}), nil},
		{store.DeleteOp(k), nil},
		{store.UpdateOp(k, []store.FieldOp{store.Increment("n", int64(2))}), store.ErrNotFound},
		{store.Write{Kind: 99, Key: k}, store.ErrInvalidArgument},
	}
	for i, s := range steps {
		if err := driver.ApplyWrite(ctx, d, s.w, now); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
			t.Errorf("step %d: err = %v, want %v", i, err, s.want)
		}
	}
}
