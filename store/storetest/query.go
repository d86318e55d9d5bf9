package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

func init() {
	suite = append(suite,
		testCase{name: "Query", subs: []string{"Operators", "Limits"}, fn: testQuery},
		testCase{name: "Paging", subs: []string{"Splits", "Filtered", "Changes"}, fn: testPaging},
		testCase{name: "Cursor", fn: testCursor},
	)
}

// queryDoc is the document of the i-th item of the query tests.
func queryDoc(i int) map[string]any {
	d := map[string]any{
		"n":     i,
		"even":  i%2 == 0,
		"color": []string{"red", "green", "blue"}[i%3],
		"m":     map[string]any{"x": i % 2, "half": float64(i%4) / 2},
	}
	switch i % 4 {
	case 0:
		d["opt"] = nil
	case 1:
		d["opt"] = "set"
	}
	return d
}

// filterCase is a set of filters and the reference predicate it means.
type filterCase struct {
	name    string
	filters []store.Filter
	match   func(i int) bool
}

var filterCases = []filterCase{
	{"none", nil, func(int) bool { return true }},
	{"even", []store.Filter{store.Equal("even", true)}, func(i int) bool { return i%2 == 0 }},
	{"red and m.x=1", []store.Filter{store.Equal("color", "red"), store.Equal("m.x", 1)}, func(i int) bool { return i%3 == 0 && i%2 == 1 }},
	{"m.half=0.5", []store.Filter{store.Equal("m.half", 0.5)}, func(i int) bool { return i%4 == 1 }},
	{"opt=null", []store.Filter{store.Equal("opt", nil)}, func(i int) bool { return i%4 == 0 }},
	{"n=3", []store.Filter{store.Equal("n", int64(3))}, func(i int) bool { return i == 3 }},
	{"no match", []store.Filter{store.Equal("color", "purple")}, func(int) bool { return false }},
}

// querySorts are the sort keys of the query tests. The last two order
// differently by UTF-8 bytes (U+FF5E first), the order of the contract,
// and by UTF-16 code units (U+1F600 first, a surrogate pair).
var querySorts = []string{"", "a", "a1", "a2", "b", "b#1", "b/2", "ba", "bb", "c", "c\u00e9", "d", "é", "z", "\uff5e", "\U0001F600"}

// sortCases are the conditions tested, with the reference predicate.
var sortCases = []struct {
	cond  store.SortCondition
	match func(s string) bool
}{
	{store.SortCondition{}, func(string) bool { return true }},
	{store.SortEqual("b"), func(s string) bool { return s == "b" }},
	{store.SortEqual(""), func(s string) bool { return s == "" }},
	{store.SortEqual("nope"), func(string) bool { return false }},
	{store.SortLess("b"), func(s string) bool { return s < "b" }},
	{store.SortLessOrEqual("b"), func(s string) bool { return s <= "b" }},
	{store.SortGreater("b"), func(s string) bool { return s > "b" }},
	{store.SortGreaterOrEqual("b"), func(s string) bool { return s >= "b" }},
	{store.SortBetweenKeys("a2", "ba"), func(s string) bool { return s >= "a2" && s <= "ba" }},
	{store.SortBetweenKeys("b", "b"), func(s string) bool { return s == "b" }},
	{store.SortHasPrefix("b"), func(s string) bool { return strings.HasPrefix(s, "b") }},
	{store.SortHasPrefix("c"), func(s string) bool { return strings.HasPrefix(s, "c") }},
	{store.SortHasPrefix(""), func(string) bool { return true }},
	{store.SortHasPrefix("zz"), func(string) bool { return false }},
}

func sortName(c store.SortCondition) string {
	return fmt.Sprintf("%s(%q,%q)", []string{"all", "eq", "lt", "le", "gt", "ge", "between", "prefix"}[c.Op], c.Value, c.Value2)
}

// writeQueryItems puts the query test items into partition p and,
// unless isolated is false, items in neighbouring partitions.
func writeQueryItems(t *testing.T, e *env, p string) {
	t.Helper()
	var writes []store.Write
	for i, s := range querySorts {
		writes = append(writes, store.PutOp(&store.Item{Key: store.Key{Partition: p, Sort: s}, Data: queryDoc(i)}))
		// Neighbours that a sloppy partition match would include.
		for _, np := range []string{p + "x", p[:len(p)-1], p + "#"} {
			writes = append(writes, store.PutOp(&store.Item{Key: store.Key{Partition: np, Sort: s}, Data: queryDoc(i)}))
		}
	}
	if err := e.s.WriteMany(e.ctx, writes); err != nil {
		t.Fatal(err)
	}
}

// expected returns the sort keys a query must return, in order.
func expected(match func(string) bool, fc filterCase, desc bool) []string {
	var out []string
	for i, s := range querySorts {
		if match(s) && fc.match(i) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	if desc {
		slices.Reverse(out)
	}
	return out
}

// queryAll pages through q on e's store and returns the sort keys and the
// pages' sizes.
func queryAll(t *testing.T, e *env, q store.Query) ([]string, []int) {
	t.Helper()
	return queryAllIn(t, e, e.s, q)
}

// queryAllIn pages through q on s, failing t after 1000 pages.
func queryAllIn(t *testing.T, e *env, s store.Store, q store.Query) ([]string, []int) {
	t.Helper()
	var keys []string
	var sizes []int
	for range 1000 {
		page, err := s.Query(e.ctx, q)
		if err != nil {
			t.Fatalf("Query(%+v): %v", q, err)
		}
		for _, it := range page.Items {
			if it.Key.Partition != q.Partition {
				t.Fatalf("Query of partition %q returned an item of %q", q.Partition, it.Key.Partition)
			}
		}
		keys = append(keys, keysOf(page.Items)...)
		sizes = append(sizes, len(page.Items))
		if page.Next == "" {
			return keys, sizes
		}
		q.Cursor = page.Next
	}
	t.Fatal("Query did not end after 1000 pages")
	return nil, nil
}

// testQuery runs every sort operator in both directions, with and without
// filters, in one page and in pages of two.
func testQuery(t *testing.T, e *env) {
	e.run(t, "Operators", func(t *testing.T) {
		writeQueryItems(t, e, "qp")
		for _, sc := range sortCases {
			for _, fc := range filterCases {
				for _, desc := range []bool{false, true} {
					want := expected(sc.match, fc, desc)
					q := store.Query{Partition: "qp", Sort: sc.cond, Filters: fc.filters, Descending: desc}
					what := fmt.Sprintf("Query %s filter %s descending=%v", sortName(sc.cond), fc.name, desc)
					got, _ := queryAll(t, e, q)
					if !slices.Equal(got, want) {
						t.Errorf("%s: got %q; want %q", what, got, want)
					}
					q.Limit = 2
					got, sizes := queryAll(t, e, q)
					if !slices.Equal(got, want) {
						t.Errorf("%s in pages of 2: got %q; want %q", what, got, want)
					}
					checkSizes(t, what+" in pages of 2", sizes, 2)
				}
			}
		}
		// Items carry their data and revision.
		page, err := e.s.Query(e.ctx, store.Query{Partition: "qp", Sort: store.SortEqual("b")})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("Query eq b: %v, %v", page, err)
		}
		it := page.Items[0]
		equalData(t, "queried item", it.Data, e.get(t, it.Key).Data)
		if it.Revision == "" || it.Revision != e.get(t, it.Key).Revision {
			t.Errorf("queried item has revision %q; Get says %q", it.Revision, e.get(t, it.Key).Revision)
		}
	})
	e.run(t, "Limits", func(t *testing.T) {
		var writes []store.Write
		for i := range store.DefaultQueryLimit + 1 {
			writes = append(writes, store.PutOp(&store.Item{Key: store.Key{Partition: "ql", Sort: fmt.Sprintf("%03d", i)}}))
		}
		if err := e.s.WriteMany(e.ctx, writes); err != nil {
			t.Fatal(err)
		}
		page, err := e.s.Query(e.ctx, store.Query{Partition: "ql"})
		if err != nil || len(page.Items) != store.DefaultQueryLimit || page.Next == "" {
			t.Fatalf("Query with Limit 0 returned %d items, next %q, %v; want %d and a cursor", len(page.Items), page.Next, err, store.DefaultQueryLimit)
		}
		page, err = e.s.Query(e.ctx, store.Query{Partition: "ql", Limit: store.MaxQueryLimit})
		if err != nil || len(page.Items) != store.DefaultQueryLimit+1 || page.Next != "" {
			t.Fatalf("Query with Limit %d returned %d items, next %q, %v", store.MaxQueryLimit, len(page.Items), page.Next, err)
		}
		page, err = e.s.Query(e.ctx, store.Query{Partition: "empty"})
		if err != nil || len(page.Items) != 0 || page.Next != "" {
			t.Errorf("Query of an empty partition returned %v, %v", page, err)
		}
		for name, q := range map[string]store.Query{
			"no partition":        {},
			"negative limit":      {Partition: "ql", Limit: -1},
			"limit above maximum": {Partition: "ql", Limit: store.MaxQueryLimit + 1},
			"unknown operator":    {Partition: "ql", Sort: store.SortCondition{Op: 99}},
			"between reversed":    {Partition: "ql", Sort: store.SortBetweenKeys("b", "a")},
			"NUL in operand":      {Partition: "ql", Sort: store.SortHasPrefix("a\x00")},
			"map filter":          {Partition: "ql", Filters: []store.Filter{store.Equal("m", map[string]any{})}},
			"empty filter path":   {Partition: "ql", Filters: []store.Filter{store.Equal("", 1)}},
			"NaN filter":          {Partition: "ql", Filters: []store.Filter{store.Equal("n", nanValue())}},
			"cursor from nowhere": {Partition: "ql", Cursor: "not-a-cursor"},
		} {
			_, err := e.s.Query(e.ctx, q)
			wantErr(t, "Query with "+name, err, store.ErrInvalidArgument, "query")
		}
	})
}

// checkSizes checks that every page but the last is full and the last is
// not empty (unless it is the only one).
func checkSizes(t *testing.T, what string, sizes []int, limit int) {
	t.Helper()
	for i, n := range sizes {
		last := i == len(sizes)-1
		if (!last && n != limit) || n > limit || (last && n == 0 && len(sizes) > 1) {
			t.Errorf("%s: page sizes %v; want full pages of %d and a non-empty last page", what, sizes, limit)
			return
		}
	}
}

// testPaging checks cursors: pages split mid-way, pages of filtered
// results, and items inserted and deleted between pages.
func testPaging(t *testing.T, e *env) {
	key := func(p string, i int) store.Key { return store.Key{Partition: p, Sort: fmt.Sprintf("k%02d", i)} }
	put := func(t *testing.T, p string, n int) []string {
		var writes []store.Write
		var sorts []string
		for i := range n {
			writes = append(writes, store.PutOp(&store.Item{Key: key(p, i), Data: map[string]any{"i": i, "even": i%2 == 0}}))
			sorts = append(sorts, key(p, i).Sort)
		}
		if err := e.s.WriteMany(e.ctx, writes); err != nil {
			t.Fatal(err)
		}
		return sorts
	}
	e.run(t, "Splits", func(t *testing.T) {
		all := put(t, "split", 10)
		for _, limit := range []int{1, 3, 5, 9, 10, 11} {
			for _, desc := range []bool{false, true} {
				want := slices.Clone(all)
				if desc {
					slices.Reverse(want)
				}
				got, sizes := queryAll(t, e, store.Query{Partition: "split", Limit: limit, Descending: desc})
				what := fmt.Sprintf("limit %d descending=%v", limit, desc)
				if !slices.Equal(got, want) {
					t.Errorf("%s: got %q; want %q", what, got, want)
				}
				checkSizes(t, what, sizes, limit)
				if wantPages := (len(all) + limit - 1) / limit; len(sizes) != wantPages {
					t.Errorf("%s: %d pages; want %d (no empty last page)", what, len(sizes), wantPages)
				}
			}
		}
	})
	e.run(t, "Filtered", func(t *testing.T) {
		put(t, "filtered", 30)
		var want []string
		for i := 0; i < 30; i += 2 {
			want = append(want, key("filtered", i).Sort)
		}
		for _, limit := range []int{1, 2, 4, 15} {
			got, sizes := queryAll(t, e, store.Query{Partition: "filtered", Limit: limit, Filters: []store.Filter{store.Equal("even", true)}})
			what := fmt.Sprintf("filtered, limit %d", limit)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %q; want %q", what, got, want)
			}
			checkSizes(t, what, sizes, limit)
		}
	})
	e.run(t, "Changes", func(t *testing.T) {
		for _, desc := range []bool{false, true} {
			p := fmt.Sprintf("changes-%v", desc)
			put(t, p, 10)
			q := store.Query{Partition: p, Limit: 3, Descending: desc}
			page, err := e.s.Query(e.ctx, q)
			if err != nil || len(page.Items) != 3 || page.Next == "" {
				t.Fatalf("first page: %v, %v", page, err)
			}
			last := page.Items[2].Key.Sort
			// Insert on both sides of the cursor, delete the cursor's own
			// item and items on both sides of it.
			var writes []store.Write
			for _, s := range []string{"k015", "k025", "k075", "k99", "a", "z"} {
				writes = append(writes, store.PutOp(&store.Item{Key: store.Key{Partition: p, Sort: s}}))
			}
			for _, s := range []string{last, "k00", "k04", "k09", "k05"} {
				writes = append(writes, store.DeleteOp(store.Key{Partition: p, Sort: s}))
			}
			if err := e.s.WriteMany(e.ctx, writes); err != nil {
				t.Fatal(err)
			}
			// The rest is every current key strictly after the cursor's.
			now, _ := queryAll(t, e, store.Query{Partition: p, Descending: desc})
			var want []string
			for _, s := range now {
				if (!desc && s > last) || (desc && s < last) {
					want = append(want, s)
				}
			}
			q.Cursor = page.Next
			got, sizes := queryAll(t, e, q)
			what := fmt.Sprintf("descending=%v, after %q", desc, last)
			if !slices.Equal(got, want) {
				t.Errorf("%s: the pages after the changes hold %q; want %q", what, got, want)
			}
			checkSizes(t, what, sizes, 3)
		}
	})
}

// testCursor checks that cursors are opaque, bound to their query, and
// usable by another Store over the same data.
func testCursor(t *testing.T, e *env) {
	writeQueryItems(t, e, "cp")
	q := store.Query{Partition: "cp", Limit: 3, Filters: []store.Filter{store.Equal("even", true)}, Sort: store.SortGreater("a")}
	page, err := e.s.Query(e.ctx, q)
	if err != nil || page.Next == "" {
		t.Fatalf("first page: %v, %v", page, err)
	}
	c := page.Next
	if strings.Contains(c, page.Items[len(page.Items)-1].Key.Sort) && len(page.Items[len(page.Items)-1].Key.Sort) > 2 {
		t.Errorf("the cursor %q shows the sort key in clear", c)
	}
	want, _ := queryAll(t, e, store.Query{Partition: "cp", Limit: 1000, Filters: q.Filters, Sort: q.Sort})
	want = want[len(page.Items):]
	resume := func(t *testing.T, s store.Store, q store.Query, what string) {
		t.Helper()
		got, _ := queryAllIn(t, e, s, q)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q; want %q", what, got, want)
		}
	}
	rq := q
	rq.Cursor = c
	resume(t, e.s, rq, "resuming")
	rq.Limit = 1
	resume(t, e.s, rq, "resuming with another limit")
	rq.Limit = 3
	resume(t, driver.NewStore(e.d, store.WithClock(e.clock.Now)), rq, "resuming in another Store")

	tampered := map[string]string{
		"truncated":   c[:len(c)/2],
		"extended":    c + "A",
		"garbage":     "!!!not base64!!!",
		"empty bytes": "AAAA",
	}
	for i := range len(c) {
		if i%4 == 0 || i == len(c)-1 {
			b := []byte(c)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			tampered[fmt.Sprintf("byte %d changed", i)] = string(b)
		}
	}
	for name, bad := range tampered {
		tq := q
		tq.Cursor = bad
		_, err := e.s.Query(e.ctx, tq)
		wantErr(t, "Query with a cursor "+name, err, store.ErrInvalidArgument, "query")
	}
	others := map[string]store.Query{
		"another partition":  {Partition: "cpx", Limit: 3, Filters: q.Filters, Sort: q.Sort},
		"another direction":  {Partition: "cp", Limit: 3, Filters: q.Filters, Sort: q.Sort, Descending: true},
		"no filter":          {Partition: "cp", Limit: 3, Sort: q.Sort},
		"another filter":     {Partition: "cp", Limit: 3, Filters: []store.Filter{store.Equal("even", false)}, Sort: q.Sort},
		"another sort value": {Partition: "cp", Limit: 3, Filters: q.Filters, Sort: store.SortGreater("b")},
		"another sort op":    {Partition: "cp", Limit: 3, Filters: q.Filters, Sort: store.SortGreaterOrEqual("a")},
	}
	for name, oq := range others {
		oq.Cursor = c
		_, err := e.s.Query(e.ctx, oq)
		wantErr(t, "Query with the cursor of "+name, err, store.ErrInvalidArgument, "query")
	}
	// Cursor secrets: stores that share one accept each other's cursors;
	// others refuse them.
	a1 := driver.NewStore(e.d, store.WithClock(e.clock.Now), store.WithCursorSecret([]byte("secret-a")))
	a2 := driver.NewStore(e.d, store.WithClock(e.clock.Now), store.WithCursorSecret([]byte("secret-a")))
	b := driver.NewStore(e.d, store.WithClock(e.clock.Now), store.WithCursorSecret([]byte("secret-b")))
	pa, err := a1.Query(e.ctx, q)
	if err != nil || pa.Next == "" {
		t.Fatalf("Query with a secret: %v, %v", pa, err)
	}
	rq.Cursor = pa.Next
	resume(t, a2, rq, "resuming with the same secret")
	_, err = b.Query(e.ctx, rq)
	wantErr(t, "Query with a cursor sealed under another secret", err, store.ErrInvalidArgument, "query")
	_, err = e.s.Query(e.ctx, rq)
	wantErr(t, "Query with a cursor sealed under a secret, in a store without it", err, store.ErrInvalidArgument, "query")
}
