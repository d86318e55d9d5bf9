package storetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
)

func nanValue() float64 { return math.NaN() }

func init() {
	suite = append(suite, testCase{name: "TTL", fn: testTTL})
}

// testTTL checks that an item is invisible to every read from the moment
// it expires, whatever the backend does about deleting it.
func testTTL(t *testing.T, e *env) {
	start := e.clock.Now()
	expiry := start.Add(10 * time.Second)
	k := func(s string) store.Key { return store.Key{Partition: "ttl", Sort: s} }
	var writes []store.Write
	for i := range 8 {
		it := &store.Item{Key: k(fmt.Sprintf("i%d", i)), Data: map[string]any{"i": i, "even": i%2 == 0}}
		if i%3 != 0 {
			it.ExpiresAt = expiry // i1 i2 i4 i5 i7 expire
		}
		writes = append(writes, store.PutOp(it))
	}
	writes = append(writes,
		store.PutOp(&store.Item{Key: k("long"), ExpiresAt: start.Add(time.Hour)}),
		store.PutOp(&store.Item{Key: k("past"), ExpiresAt: start.Add(-time.Second)}),
		store.PutOp(&store.Item{Key: k("replaced"), ExpiresAt: expiry}),
		store.PutOp(&store.Item{Key: k("precise"), ExpiresAt: start.Add(time.Hour + 123456789)}),
	)
	if err := e.s.WriteMany(e.ctx, writes); err != nil {
		t.Fatal(err)
	}
	if got := e.get(t, k("i1")).ExpiresAt; !got.Equal(expiry) {
		t.Errorf("ExpiresAt read back as %v; want %v", got, expiry)
	}
	e.wantMissing(t, k("past"))
	// ExpiresAt is kept to the millisecond, on every backend.
	if got, want := e.get(t, k("precise")).ExpiresAt, start.Add(time.Hour+123*time.Millisecond); !got.Equal(want) {
		t.Errorf("ExpiresAt of start+1h+123456789ns read back as %v; want %v", got, want)
	}
	// Replacing an item without ExpiresAt removes its expiry.
	e.put(t, k("replaced"), map[string]any{"kept": true})
	if got := e.get(t, k("replaced")).ExpiresAt; !got.IsZero() {
		t.Errorf("a replaced item kept ExpiresAt %v", got)
	}
	// An update keeps the expiry.
	if _, err := e.s.Update(e.ctx, k("long"), []store.FieldOp{store.Set("updated", true)}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(t, k("long")).ExpiresAt; !got.Equal(start.Add(time.Hour)) {
		t.Errorf("after Update, ExpiresAt is %v; want %v", got, start.Add(time.Hour))
	}

	all := []string{"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7", "long", "precise", "replaced"}
	live := []string{"i0", "i3", "i6", "long", "precise", "replaced"}
	check := func(t *testing.T, when string, want []string) {
		t.Helper()
		got, sizes := queryAll(t, e, store.Query{Partition: "ttl", Limit: 2})
		if !slices.Equal(got, want) {
			t.Errorf("%s: Query returns %q; want %q", when, got, want)
		}
		checkSizes(t, when+": Query", sizes, 2)
		var wantEven []string
		for _, s := range want {
			if s[0] == 'i' && (s[1]-'0')%2 == 0 {
				wantEven = append(wantEven, s)
			}
		}
		got, sizes = queryAll(t, e, store.Query{Partition: "ttl", Limit: 1, Descending: true, Filters: []store.Filter{store.Equal("even", true)}})
		slices.Reverse(got)
		if !slices.Equal(got, wantEven) {
			t.Errorf("%s: filtered descending Query returns %q; want %q", when, got, wantEven)
		}
		checkSizes(t, when+": filtered Query", sizes, 1)
		keys := []store.Key{k("past")}
		for _, s := range all {
			keys = append(keys, k(s))
		}
		items, err := e.s.GetMany(e.ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for i, key := range keys {
			want := slices.Contains(want, key.Sort)
			if got := items[i] != nil; got != want {
				t.Errorf("%s: GetMany finds %q: %v; want %v", when, key.Sort, got, want)
			}
			_, err := e.s.Get(e.ctx, key)
			if got := err == nil; got != want || (err != nil && !errors.Is(err, store.ErrNotFound)) {
				t.Errorf("%s: Get(%q) = %v; want found=%v", when, key.Sort, err, want)
			}
		}
	}
	e.clock.Advance(9 * time.Second)
	check(t, "a second before expiry", all)
	e.clock.Advance(time.Second)
	check(t, "at expiry", live)

	// An expired item counts as absent for IfNotExists and Update.
	_, err := e.s.Update(e.ctx, k("i1"), []store.FieldOp{store.Set("x", 1)})
	wantErr(t, "Update of an expired item", err, store.ErrNotFound, "update")
	e.put(t, k("i1"), map[string]any{"reborn": true}, store.IfNotExists())
	equalData(t, "item created over an expired one", e.get(t, k("i1")).Data, map[string]any{"reborn": true})
	if got := e.get(t, k("i1")).ExpiresAt; !got.IsZero() {
		t.Errorf("item created over an expired one has ExpiresAt %v", got)
	}
}
