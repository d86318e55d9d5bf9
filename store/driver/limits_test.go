package driver_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// wantInvalid fails t unless err is ErrInvalidArgument whose message holds
// every one of want.
func wantInvalid(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("%s: %v; want ErrInvalidArgument", what, err)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %q does not mention %s", what, err, w)
		}
	}
}

// TestUnsignedBeyondInt64 checks that integers above math.MaxInt64, which
// no backend keeps exactly, are refused when written, rather than stored
// as a float that reads back rounded or that a uint64 cannot decode.
func TestUnsignedBeyondInt64(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	k := store.Key{Partition: "p", Sort: "u"}
	_, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"m": map[string]any{"n": uint64(math.MaxUint64)}}})
	wantInvalid(t, "Put of MaxUint64", err, `"m.n"`, "18446744073709551615")
	_, err = s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"l": []uint{1, 1<<63 + 1}}})
	wantInvalid(t, "Put of 1<<63+1 in a []uint", err, `"l[1]"`)
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": uint64(math.MaxInt64)}}); err != nil {
		t.Fatalf("Put of MaxInt64 as a uint64: %v", err)
	}
	_, err = s.Update(ctx, k, []store.FieldOp{store.Set("n", uint64(math.MaxUint64))})
	wantInvalid(t, "Update Set of MaxUint64", err, `"n"`)
	_, err = s.Update(ctx, k, []store.FieldOp{store.Increment("n", uint64(1<<63))})
	wantInvalid(t, "Increment by 1<<63", err, `"n"`)

	type counter struct {
		N uint64  `json:"n"`
		F float64 `json:"f"`
	}
	c := store.NewCollection[counter](s)
	for _, n := range []uint64{math.MaxUint64, 1<<63 + 1, 1 << 63} {
		_, err := c.Put(ctx, store.Entry[counter]{Key: store.Key{Partition: "c", Sort: "bad"}, Value: counter{N: n}})
		wantInvalid(t, "Collection.Put of "+strconv.FormatUint(n, 10), err, `"n"`)
	}
	// What is accepted reads back unchanged, and a query over it works.
	good := []counter{{N: math.MaxInt64}, {N: 1e19, F: 1e20}, {F: math.MaxUint64}}
	for i, v := range good {
		if _, err := c.Put(ctx, store.Entry[counter]{Key: store.Key{Partition: "c", Sort: strconv.Itoa(i)}, Value: v}); err != nil {
			t.Fatalf("Collection.Put(%+v): %v", v, err)
		}
	}
	i := 0
	for e, err := range c.All(ctx, store.Query{Partition: "c"}) {
		if err != nil {
			t.Fatalf("All: %v", err)
		}
		if i < len(good) && e.Value != good[i] {
			t.Errorf("entry %d reads back as %+v; want %+v", i, e.Value, good[i])
		}
		i++
	}
	if i != len(good) {
		t.Errorf("All returned %d entries; want %d", i, len(good))
	}
}

// TestFieldPathLimit checks MaxFieldPathLen on every way a field path
// reaches a store: item data (nested maps and lists included), Update
// paths and values, and query filters.
func TestFieldPathLimit(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	k := store.Key{Partition: "p", Sort: "f"}
	name := func(c string, n int) string { return strings.Repeat(c, n) }
	limit := strconv.Itoa(store.MaxFieldPathLen)
	half := store.MaxFieldPathLen / 2 // a, '.' and b of half-1 bytes fill the limit

	for _, tc := range []struct {
		what string
		data map[string]any
		ok   bool
	}{
		{"a name at the limit", map[string]any{name("a", store.MaxFieldPathLen): 1}, true},
		{"a name one byte over", map[string]any{name("a", store.MaxFieldPathLen+1): 1}, false},
		{"a name of 2,000 bytes", map[string]any{name("a", 2000): 1}, false},
		{"a name of multibyte characters over", map[string]any{name("é", store.MaxFieldPathLen/2+1): 1}, false},
		{"a nested path at the limit", map[string]any{name("a", half): map[string]any{name("b", half-1): 1}}, true},
		{"a nested path over", map[string]any{name("a", half): map[string]any{name("b", half): 1}}, false},
		{"a path through a list over", map[string]any{name("a", half): []any{1, map[string]any{name("b", half): 1}}}, false},
		{"a path through a typed map over", map[string]any{name("a", half): map[string]int{name("b", half): 1}}, false},
	} {
		_, err := s.Put(ctx, &store.Item{Key: k, Data: tc.data})
		if tc.ok {
			if err != nil {
				t.Errorf("Put of %s: %v", tc.what, err)
			}
			continue
		}
		wantInvalid(t, "Put of "+tc.what, err, "the limit is "+limit)
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("Put of %s: the error is %d bytes long", tc.what, len(err.Error()))
		}
	}

	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{name("a", half): map[string]any{}}}); err != nil {
		t.Fatal(err)
	}
	a := name("a", half)
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Set(a+"."+name("b", half-1), 1)}); err != nil {
		t.Errorf("Update of a path at the limit: %v", err)
	}
	_, err := s.Update(ctx, k, []store.FieldOp{store.Set(a+"."+name("b", half), 1)})
	wantInvalid(t, "Update Set of a path over", err, "the limit is "+limit)
	_, err = s.Update(ctx, k, []store.FieldOp{{Kind: store.OpRemove, Path: []string{name("c", store.MaxFieldPathLen+1)}}})
	wantInvalid(t, "Update Remove of a name over", err, "the limit is "+limit)
	_, err = s.Update(ctx, k, []store.FieldOp{store.Increment(a+"."+name("b", half), 1)})
	wantInvalid(t, "Update Increment of a path over", err, "the limit is "+limit)
	_, err = s.Update(ctx, k, []store.FieldOp{store.Set(a, map[string]any{name("b", half): 1})})
	wantInvalid(t, "Update Set of a value whose fields go over", err, "the limit is "+limit)

	_, err = s.Query(ctx, store.Query{Partition: "p", Filters: []store.Filter{{Path: []string{a, name("b", half)}, Value: 1}}})
	wantInvalid(t, "Query filter on a path over", err, "the limit is "+limit)
}
