package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
)

func sortStrings(s []string) { slices.Sort(s) }

func init() {
	suite = append(suite,
		testCase{name: "RoundTrip", fn: testRoundTrip},
		testCase{name: "Keys", fn: testKeys},
		testCase{name: "Validation", fn: testValidation},
		testCase{name: "Revisions", fn: testRevisions},
		testCase{name: "Conditions", subs: []string{"Put", "Update", "Delete"}, fn: testConditions},
		testCase{name: "Update", fn: testUpdate},
		testCase{name: "UpdateItem", fn: testUpdateItem},
		testCase{name: "TooLarge", subs: []string{"Put", "Update"}, fn: testTooLarge},
		testCase{name: "Cancelled", fn: testCancelled},
	)
}

// testRoundTrip writes documents of every kind of value and reads them back
// normalised.
func testRoundTrip(t *testing.T, e *env) {
	doc := map[string]any{
		"maxInt":   int64(math.MaxInt64),
		"minInt":   int64(math.MinInt64),
		"zero":     0,
		"negative": -42,
		"int32":    int32(-7),
		"uint8":    uint8(200),
		"uint64":   uint64(1 << 40),
		"float":    3.141592653589793,
		"small":    -2.5e-100,
		"big":      1.7976931e100,
		"tenth":    0.1,
		"float32":  float32(0.5),
		"integral": 2.0,
		"negZero":  math.Copysign(0, -1),
		"jsonInt":  json.Number("12345678901234"),
		"jsonReal": json.Number("1.25"),
		"empty":    "",
		"unicode":  "héllo 世界 🎉 \u2028 <&>",
		"escapes":  "quote \" backslash \\ newline \n tab \t nul \x00",
		"true":     true,
		"false":    false,
		"null":     nil,
		"list":     []any{1, "two", 3.5, nil, []any{}, map[string]any{"x": true}},
		"strings":  []string{"a", "b"},
		"emptyMap": map[string]any{},
		"nested": map[string]any{
			"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": "deep"}}},
		},
		"typedMap": map[string]int{"one": 1},
		// Names a backend might use for its own bookkeeping, and odd ones.
		"id": "user id", "_id": 1, "pk": "x", "sk": "y", "rev": "r", "_etag": "e", "_ts": 5,
		"ttl": 9, "expiresAt": "never", "data": "d", "doc": "d", "a.b": "dotted", "with space": 1,
		"ünïcødé": "name", "$dollar": "$", "#hash": "#", "/slash": "/", "_": "_", "__": "__",
	}
	want := map[string]any{
		"maxInt":   int64(math.MaxInt64),
		"minInt":   int64(math.MinInt64),
		"zero":     int64(0),
		"negative": int64(-42),
		"int32":    int64(-7),
		"uint8":    int64(200),
		"uint64":   int64(1 << 40),
		"float":    3.141592653589793,
		"small":    -2.5e-100,
		"big":      1.7976931e100,
		"tenth":    0.1,
		"float32":  0.5,
		"integral": int64(2),
		"negZero":  int64(0),
		"jsonInt":  int64(12345678901234),
		"jsonReal": 1.25,
		"empty":    "",
		"unicode":  "héllo 世界 🎉 \u2028 <&>",
		"escapes":  "quote \" backslash \\ newline \n tab \t nul \x00",
		"true":     true,
		"false":    false,
		"null":     nil,
		"list":     []any{int64(1), "two", 3.5, nil, []any{}, map[string]any{"x": true}},
		"strings":  []any{"a", "b"},
		"emptyMap": map[string]any{},
		"nested": map[string]any{
			"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": "deep"}}},
		},
		"typedMap": map[string]any{"one": int64(1)},
		"id":       "user id", "_id": int64(1), "pk": "x", "sk": "y", "rev": "r", "_etag": "e", "_ts": int64(5),
		"ttl": int64(9), "expiresAt": "never", "data": "d", "doc": "d", "a.b": "dotted", "with space": int64(1),
		"ünïcødé": "name", "$dollar": "$", "#hash": "#", "/slash": "/", "_": "_", "__": "__",
	}
	key := store.Key{Partition: "roundtrip", Sort: "doc"}
	rev := e.put(t, key, doc)
	it := e.get(t, key)
	equalData(t, "Get after Put", it.Data, want)
	if it.Key != key {
		t.Errorf("Get returned key %v; want %v", it.Key, key)
	}
	if it.Revision != rev {
		t.Errorf("Get returned revision %q; Put returned %q", it.Revision, rev)
	}
	if !it.ExpiresAt.IsZero() {
		t.Errorf("Get returned ExpiresAt %v for an item without one", it.ExpiresAt)
	}

	// The caller's maps are not kept: changing them changes nothing stored,
	// and changing what Get returned changes nothing either.
	doc["nested"].(map[string]any)["a"] = "changed"
	it.Data["list"].([]any)[0] = "changed"
	equalData(t, "Get after changing the caller's maps", e.get(t, key).Data, want)

	// Empty and nil documents, and a sort key left empty.
	for _, k := range []store.Key{{Partition: "roundtrip", Sort: "nil"}, {Partition: "roundtrip-nosort"}} {
		e.put(t, k, nil)
		equalData(t, "empty document", e.get(t, k).Data, map[string]any{})
	}

	// Replacing a document removes the fields it no longer has.
	e.put(t, key, map[string]any{"only": "this"})
	equalData(t, "Get after replacing Put", e.get(t, key).Data, map[string]any{"only": "this"})

	// Query returns the same documents as Get.
	page, err := e.s.Query(e.ctx, store.Query{Partition: "roundtrip"})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(page.Items); !slices.Equal(got, []string{"doc", "nil"}) {
		t.Fatalf("Query returned %q; want [doc nil]", got)
	}
	equalData(t, "Query", page.Items[0].Data, map[string]any{"only": "this"})
	if page.Items[0].Revision != e.get(t, key).Revision {
		t.Errorf("Query revision %q differs from Get's", page.Items[0].Revision)
	}
}

// testKeys round-trips keys with characters backends must encode.
func testKeys(t *testing.T, e *env) {
	sorts := []string{"", "plain", "a/b", "a#b", "a|b", "100%", "%2F", "日本語", "emoji 🎉", " space ", "a\\b", "?q=1&x", "..", ".", "line\nbreak", "'quote\"", "\u00e9", "e\u0301",
		strings.Repeat("s", store.MaxSortLen)}
	partitions := []string{"p/1", "p#1", "p|1", "p%1", "пара", strings.Repeat("p", store.MaxPartitionLen)}
	var keys []store.Key
	for _, p := range partitions {
		for _, s := range sorts {
			keys = append(keys, store.Key{Partition: p, Sort: s})
		}
	}
	// Keys that collide if a backend joins partition and sort naively.
	keys = append(keys,
		store.Key{Partition: "a", Sort: "b#c"}, store.Key{Partition: "a#b", Sort: "c"},
		store.Key{Partition: "a", Sort: "b/c"}, store.Key{Partition: "a/b", Sort: "c"},
		store.Key{Partition: "a", Sort: "b|c"}, store.Key{Partition: "a|b", Sort: "c"},
		store.Key{Partition: "ab", Sort: ""}, store.Key{Partition: "a", Sort: "b"},
	)
	writes := make([]store.Write, len(keys))
	for i, k := range keys {
		writes[i] = store.PutOp(&store.Item{Key: k, Data: map[string]any{"i": i, "p": k.Partition, "s": k.Sort}})
	}
	if err := e.s.WriteMany(e.ctx, writes); err != nil {
		t.Fatalf("WriteMany: %v", err)
	}
	got, err := e.s.GetMany(e.ctx, keys)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	for i, k := range keys {
		if got[i] == nil {
			t.Errorf("GetMany: key %q/%q missing", k.Partition, k.Sort)
			continue
		}
		if got[i].Key != k || got[i].Data["i"] != int64(i) {
			t.Errorf("GetMany: key %q/%q returned item %q/%q with i=%v", k.Partition, k.Sort, got[i].Key.Partition, got[i].Key.Sort, got[i].Data["i"])
		}
	}
	// Get and Delete address exactly one item.
	k := store.Key{Partition: "a", Sort: "b#c"}
	if it := e.get(t, k); it.Key != k {
		t.Errorf("Get(%v) returned key %v", k, it.Key)
	}
	if err := e.s.Delete(e.ctx, k); err != nil {
		t.Fatal(err)
	}
	e.wantMissing(t, k)
	e.get(t, store.Key{Partition: "a#b", Sort: "c"})
	// Query returns the keys of a partition exactly, in byte order.
	for _, p := range partitions {
		page, err := e.s.Query(e.ctx, store.Query{Partition: p})
		if err != nil {
			t.Fatalf("Query(%q): %v", p, err)
		}
		want := slices.Clone(sorts)
		slices.Sort(want)
		if got := keysOf(page.Items); !slices.Equal(got, want) {
			t.Errorf("Query(%.20q) returned sort keys %q; want %q", p, got, want)
		}
		for _, it := range page.Items {
			if it.Key.Partition != p || it.Data["s"] != it.Key.Sort {
				t.Errorf("Query(%.20q) returned item %.20q/%.20q holding %v", p, it.Key.Partition, it.Key.Sort, it.Data["s"])
			}
		}
	}
}

// testValidation checks that invalid arguments are refused before they
// reach the backend.
func testValidation(t *testing.T, e *env) {
	ok := map[string]any{"a": 1}
	badKeys := map[string]store.Key{
		"empty partition":    {Sort: "x"},
		"NUL in partition":   {Partition: "a\x00b"},
		"NUL in sort":        {Partition: "a", Sort: "\x00"},
		"invalid UTF-8":      {Partition: "a\xff"},
		"long partition":     {Partition: strings.Repeat("p", store.MaxPartitionLen+1)},
		"long sort":          {Partition: "p", Sort: strings.Repeat("s", store.MaxSortLen+1)},
		"invalid UTF-8 sort": {Partition: "p", Sort: "\xc3"},
	}
	for name, k := range badKeys {
		_, err := e.s.Get(e.ctx, k)
		wantErr(t, "Get with "+name, err, store.ErrInvalidArgument, "get")
		_, err = e.s.Put(e.ctx, &store.Item{Key: k, Data: ok})
		wantErr(t, "Put with "+name, err, store.ErrInvalidArgument, "put")
		_, err = e.s.Update(e.ctx, k, []store.FieldOp{store.Set("a", 2)})
		wantErr(t, "Update with "+name, err, store.ErrInvalidArgument, "update")
		wantErr(t, "Delete with "+name, e.s.Delete(e.ctx, k), store.ErrInvalidArgument, "delete")
		_, err = e.s.GetMany(e.ctx, []store.Key{{Partition: "fine"}, k})
		wantErr(t, "GetMany with "+name, err, store.ErrInvalidArgument, "getmany")
	}
	// nest(n) is a document with n maps nested in it: n+1 levels.
	nest := func(n int) map[string]any {
		m := map[string]any{"leaf": "x"}
		for range n {
			m = map[string]any{"d": m}
		}
		return m
	}
	badData := map[string]map[string]any{
		"NaN":               {"f": math.NaN()},
		"infinity":          {"f": math.Inf(1)},
		"huge float":        {"f": 1e200},
		"tiny float":        {"f": 1e-200},
		"empty field name":  {"": 1},
		"reserved name":     {"__name__": 1},
		"nested reserved":   {"m": map[string]any{"__x__": 1}},
		"invalid UTF-8":     {"s": "\xff"},
		"invalid UTF-8 key": {"\xff": 1},
		"struct":            {"s": struct{}{}},
		"bytes":             {"b": []byte("x")},
		"channel":           {"c": make(chan int)},
		"too deep":          nest(store.MaxDepth),
		"list too deep":     {"l": []any{nest(store.MaxDepth - 2)}},
		"bad json.Number":   {"n": json.Number("12x")},
	}
	for name, data := range badData {
		_, err := e.s.Put(e.ctx, &store.Item{Key: store.Key{Partition: "v"}, Data: data})
		wantErr(t, "Put with "+name, err, store.ErrInvalidArgument, "put")
	}
	_, err := e.s.Put(e.ctx, nil)
	wantErr(t, "Put(nil)", err, store.ErrInvalidArgument, "put")
	// One level less deep than the refused document is accepted.
	okDeep := nest(store.MaxDepth - 1)
	e.put(t, store.Key{Partition: "v", Sort: "deep"}, okDeep)
	equalData(t, "deepest document", e.get(t, store.Key{Partition: "v", Sort: "deep"}).Data, okDeep)

	k := store.Key{Partition: "v", Sort: "k"}
	e.put(t, k, ok)
	badOps := map[string][]store.FieldOp{
		"no ops":              nil,
		"empty path":          {store.Set("", 1)},
		"empty segment":       {store.Set("a..b", 1)},
		"trailing dot":        {store.Set("a.", 1)},
		"reserved segment":    {store.Set("__x__", 1)},
		"string increment":    {store.Increment("a", "1")},
		"NaN increment":       {store.Increment("a", math.NaN())},
		"NaN set":             {store.Set("a", math.NaN())},
		"overlapping paths":   {store.Set("m", map[string]any{}), store.Set("m.x", 1)},
		"same path twice":     {store.Set("a", 1), store.Increment("a", 1)},
		"unknown op kind":     {{Kind: 99, Path: []string{"a"}}},
		"dot in segment":      {{Kind: store.OpSet, Path: []string{"a.b"}, Value: 1}},
		"unsupported value":   {store.Set("a", struct{}{})},
		"path too deep":       {store.Set(strings.Repeat("a.", store.MaxDepth)+"a", 1)},
		"value nested deeper": {store.Set("x.y", nest(store.MaxDepth-2))},
	}
	for name, ops := range badOps {
		_, err := e.s.Update(e.ctx, k, ops)
		wantErr(t, "Update with "+name, err, store.ErrInvalidArgument, "update")
	}
	equalData(t, "item after refused updates", e.get(t, k).Data, map[string]any{"a": int64(1)})

	badConds := map[string][]store.Condition{
		"two conditions":     {store.IfExists(), store.IfNotExists()},
		"empty revision":     {store.IfRevision("")},
		"IfNotExists update": {store.IfNotExists()},
	}
	for name, conds := range badConds {
		_, err := e.s.Update(e.ctx, k, []store.FieldOp{store.Set("a", 2)}, conds...)
		wantErr(t, "Update with "+name, err, store.ErrInvalidArgument, "update")
		wantErr(t, "Delete with "+name, e.s.Delete(e.ctx, k, conds...), store.ErrInvalidArgument, "delete")
		if name != "IfNotExists update" {
			_, err = e.s.Put(e.ctx, &store.Item{Key: k, Data: ok}, conds...)
			wantErr(t, "Put with "+name, err, store.ErrInvalidArgument, "put")
		}
	}
	e.get(t, k)
}

// testRevisions checks that every write changes the revision.
func testRevisions(t *testing.T, e *env) {
	k := store.Key{Partition: "rev", Sort: "k"}
	seen := map[store.Revision]string{}
	note := func(what string, r store.Revision) {
		t.Helper()
		if r == "" {
			t.Fatalf("%s returned an empty revision", what)
		}
		if prev, dup := seen[r]; dup {
			t.Errorf("%s returned revision %q, already returned by %s", what, r, prev)
		}
		seen[r] = what
		if got := e.get(t, k).Revision; got != r {
			t.Errorf("after %s, Get returned revision %q; want %q", what, got, r)
		}
	}
	note("first Put", e.put(t, k, map[string]any{"n": 1}))
	note("Put of the same data", e.put(t, k, map[string]any{"n": 1}))
	rev, err := e.s.Update(e.ctx, k, []store.FieldOp{store.Increment("n", 1)})
	if err != nil {
		t.Fatal(err)
	}
	note("Update", rev)
	rev, err = e.s.Update(e.ctx, k, []store.FieldOp{store.Set("n", 2)})
	if err != nil {
		t.Fatal(err)
	}
	note("Update to the same value", rev)
	if err := e.s.Delete(e.ctx, k); err != nil {
		t.Fatal(err)
	}
	note("Put after Delete", e.put(t, k, map[string]any{"n": 1}))
}

// condCase is one write under one condition in one state of the item.
type condCase struct {
	state string // "missing", "present", "expired"
	cond  string // "none", "IfNotExists", "IfExists", "IfRevision", "IfRevision(stale)"
	want  error  // the error kind, nil for success
}

// testConditions runs every condition on every write, on a missing, a
// present and an expired item.
func testConditions(t *testing.T, e *env) {
	cases := map[string][]condCase{
		"Put": {
			{"missing", "none", nil}, {"present", "none", nil}, {"expired", "none", nil},
			{"missing", "IfNotExists", nil}, {"present", "IfNotExists", store.ErrAlreadyExists}, {"expired", "IfNotExists", nil},
			{"missing", "IfExists", store.ErrRevisionMismatch}, {"present", "IfExists", nil}, {"expired", "IfExists", store.ErrRevisionMismatch},
			{"missing", "IfRevision(stale)", store.ErrRevisionMismatch}, {"present", "IfRevision", nil},
			{"present", "IfRevision(stale)", store.ErrRevisionMismatch}, {"expired", "IfRevision", store.ErrRevisionMismatch},
		},
		"Update": {
			{"missing", "none", store.ErrNotFound}, {"present", "none", nil}, {"expired", "none", store.ErrNotFound},
			{"missing", "IfExists", store.ErrNotFound}, {"present", "IfExists", nil}, {"expired", "IfExists", store.ErrNotFound},
			{"missing", "IfRevision(stale)", store.ErrNotFound}, {"present", "IfRevision", nil},
			{"present", "IfRevision(stale)", store.ErrRevisionMismatch}, {"expired", "IfRevision", store.ErrNotFound},
		},
		"Delete": {
			{"missing", "none", nil}, {"present", "none", nil}, {"expired", "none", nil},
			{"missing", "IfExists", store.ErrRevisionMismatch}, {"present", "IfExists", nil}, {"expired", "IfExists", store.ErrRevisionMismatch},
			{"missing", "IfRevision(stale)", store.ErrRevisionMismatch}, {"present", "IfRevision", nil},
			{"present", "IfRevision(stale)", store.ErrRevisionMismatch}, {"expired", "IfRevision", store.ErrRevisionMismatch},
		},
	}
	// Items that expire, expire 10s after the start; the clock moves past
	// that once every item is written.
	expiry := e.clock.Now().Add(10 * time.Second)
	type prepared struct {
		c   condCase
		key store.Key
		rev store.Revision
	}
	all := map[string][]prepared{}
	var writes []store.Write
	for _, op := range []string{"Put", "Update", "Delete"} {
		for i, c := range cases[op] {
			p := prepared{c: c, key: store.Key{Partition: "cond", Sort: op + "/" + c.state + "/" + c.cond + "/" + string(rune('a'+i))}}
			if c.state != "missing" {
				it := &store.Item{Key: p.key, Data: map[string]any{"v": "old", "n": 1}}
				if c.state == "expired" {
					it.ExpiresAt = expiry
				}
				writes = append(writes, store.PutOp(it))
			}
			all[op] = append(all[op], p)
		}
	}
	if err := e.s.WriteMany(e.ctx, writes); err != nil {
		t.Fatal(err)
	}
	for _, ps := range all {
		for i := range ps {
			if ps[i].c.state != "missing" {
				ps[i].rev = e.get(t, ps[i].key).Revision
			}
		}
	}
	// A revision that is valid-looking but not the item's: the revision of
	// another item written later.
	stale := e.put(t, store.Key{Partition: "cond", Sort: "stale-source"}, map[string]any{})
	e.clock.Advance(10 * time.Second)
	for _, op := range []string{"Put", "Update", "Delete"} {
		e.run(t, op, func(t *testing.T) {
			for _, p := range all[op] {
				var cond []store.Condition
				switch p.c.cond {
				case "IfNotExists":
					cond = append(cond, store.IfNotExists())
				case "IfExists":
					cond = append(cond, store.IfExists())
				case "IfRevision":
					cond = append(cond, store.IfRevision(p.rev))
				case "IfRevision(stale)":
					cond = append(cond, store.IfRevision(stale))
				}
				what := op + " on a " + p.c.state + " item with " + p.c.cond
				var err error
				switch op {
				case "Put":
					_, err = e.s.Put(e.ctx, &store.Item{Key: p.key, Data: map[string]any{"v": "new"}}, cond...)
				case "Update":
					_, err = e.s.Update(e.ctx, p.key, []store.FieldOp{store.Set("v", "new")}, cond...)
				case "Delete":
					err = e.s.Delete(e.ctx, p.key, cond...)
				}
				wantErr(t, what, err, p.c.want, strings.ToLower(op))
				// The effect, or its absence.
				it, gerr := e.s.Get(e.ctx, p.key)
				switch {
				case p.c.want == nil && op == "Delete":
					if !errors.Is(gerr, store.ErrNotFound) {
						t.Errorf("%s succeeded but Get returns %v, %v", what, it, gerr)
					}
				case p.c.want == nil:
					if gerr != nil || it.Data["v"] != "new" {
						t.Errorf("%s succeeded but Get returns %v, %v", what, it, gerr)
					}
				case p.c.state == "present":
					if gerr != nil || it.Data["v"] != "old" || it.Revision != p.rev {
						t.Errorf("%s failed but changed the item: Get returns %v, %v", what, it, gerr)
					}
				default:
					if !errors.Is(gerr, store.ErrNotFound) {
						t.Errorf("%s failed but Get returns %v, %v", what, it, gerr)
					}
				}
			}
		})
	}
}

// testUpdate checks the field operations.
func testUpdate(t *testing.T, e *env) {
	k := store.Key{Partition: "upd", Sort: "k"}
	e.put(t, k, map[string]any{
		"title": "t", "n": 1, "f": 1.5, "gone": true, "s": "text",
		"m": map[string]any{"a": 1, "inner": map[string]any{"x": "y"}},
	})
	rev, err := e.s.Update(e.ctx, k, []store.FieldOp{
		store.Set("title", "new"),
		store.Set("m.inner.x", "z"),
		store.Set("m.b", []any{1, map[string]any{"c": 2}}),
		store.Set("added", map[string]any{"k": "v"}),
		store.Remove("gone"),
		store.Remove("never.there"),
		store.Remove("missing"),
		store.Increment("n", 41),
		store.Increment("f", 1.25),
		store.Increment("m.a", -3),
		store.Increment("counter", 2),
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	it := e.get(t, k)
	if it.Revision != rev {
		t.Errorf("Get revision %q; Update returned %q", it.Revision, rev)
	}
	equalData(t, "after Update", it.Data, map[string]any{
		"title": "new", "n": int64(42), "f": 2.75, "s": "text",
		"m":       map[string]any{"a": int64(-2), "b": []any{int64(1), map[string]any{"c": int64(2)}}, "inner": map[string]any{"x": "z"}},
		"added":   map[string]any{"k": "v"},
		"counter": int64(2),
	})
	// A float increment that lands on an integer reads back as int64.
	if _, err := e.s.Update(e.ctx, k, []store.FieldOp{store.Increment("f", 0.25)}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(t, k).Data["f"]; got != int64(3) {
		t.Errorf("2.75 + 0.25 read back as %s; want int64(3)", show(got))
	}
	// Operations that cannot apply fail and change nothing.
	before := e.get(t, k)
	for name, op := range map[string]store.FieldOp{
		"Set under a missing parent":   store.Set("nope.x", 1),
		"Set under a string":           store.Set("s.x", 1),
		"Increment of a string":        store.Increment("s", 1),
		"Increment of a map":           store.Increment("m", 1),
		"Increment under a string":     store.Increment("s.x", 1),
		"Increment of a nested string": store.Increment("m.inner.x", 1),
	} {
		_, err := e.s.Update(e.ctx, k, []store.FieldOp{store.Set("title", "partial"), op})
		wantErr(t, "Update: "+name, err, store.ErrInvalidArgument, "update")
	}
	after := e.get(t, k)
	equalData(t, "after refused updates", after.Data, before.Data)
	if after.Revision != before.Revision {
		t.Errorf("refused updates changed the revision")
	}
	// Update of a missing item.
	_, err = e.s.Update(e.ctx, store.Key{Partition: "upd", Sort: "missing"}, []store.FieldOp{store.Set("a", 1)})
	wantErr(t, "Update of a missing item", err, store.ErrNotFound, "update")
	e.wantMissing(t, store.Key{Partition: "upd", Sort: "missing"})
}

// testUpdateItem checks that UpdateItem applies its operations as Update
// does and returns the item as written: data, key, new revision, expiry.
func testUpdateItem(t *testing.T, e *env) {
	k := store.Key{Partition: "updi", Sort: "k"}
	exp := e.clock.Now().Add(time.Hour)
	if _, err := e.s.Put(e.ctx, &store.Item{Key: k, Data: map[string]any{"n": 1, "s": "x", "m": map[string]any{"a": 1}}, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	it, err := e.s.UpdateItem(e.ctx, k, []store.FieldOp{store.Increment("n", 41), store.Set("m.b", "y"), store.Remove("s"), store.Increment("c", 1.5)})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	want := map[string]any{"n": int64(42), "m": map[string]any{"a": int64(1), "b": "y"}, "c": 1.5}
	equalData(t, "UpdateItem's item", it.Data, want)
	got := e.get(t, k)
	equalData(t, "Get after UpdateItem", got.Data, want)
	if it.Key != k {
		t.Errorf("UpdateItem returned key %v, want %v", it.Key, k)
	}
	if it.Revision == "" || it.Revision != got.Revision {
		t.Errorf("UpdateItem returned revision %q; Get reads %q", it.Revision, got.Revision)
	}
	if !it.ExpiresAt.Equal(exp) {
		t.Errorf("UpdateItem returned ExpiresAt %v, want %v (kept)", it.ExpiresAt, exp)
	}
	// The returned revision conditions the next write.
	it2, err := e.s.UpdateItem(e.ctx, k, []store.FieldOp{store.Increment("n", 1)}, store.IfRevision(it.Revision))
	if err != nil {
		t.Fatalf("UpdateItem IfRevision(the returned revision): %v", err)
	}
	if it2.Data["n"] != int64(43) || it2.Revision == it.Revision {
		t.Errorf("second UpdateItem: n = %s, revision %q (first %q)", show(it2.Data["n"]), it2.Revision, it.Revision)
	}
	_, err = e.s.UpdateItem(e.ctx, k, []store.FieldOp{store.Increment("n", 1)}, store.IfRevision(it.Revision))
	wantErr(t, "UpdateItem with a stale revision", err, store.ErrRevisionMismatch, "update")
	_, err = e.s.UpdateItem(e.ctx, k, []store.FieldOp{store.Increment("n", 1), store.Increment("m", 1)})
	wantErr(t, "UpdateItem that cannot apply", err, store.ErrInvalidArgument, "update")
	if n := e.get(t, k).Data["n"]; n != int64(43) {
		t.Errorf("refused UpdateItems changed n to %s", show(n))
	}
	_, err = e.s.UpdateItem(e.ctx, store.Key{Partition: "updi", Sort: "missing"}, []store.FieldOp{store.Increment("n", 1)})
	wantErr(t, "UpdateItem of a missing item", err, store.ErrNotFound, "update")
	e.wantMissing(t, store.Key{Partition: "updi", Sort: "missing"})
	// An expired item is missing.
	e.clock.Advance(time.Hour)
	_, err = e.s.UpdateItem(e.ctx, k, []store.FieldOp{store.Increment("n", 1)})
	wantErr(t, "UpdateItem of an expired item", err, store.ErrNotFound, "update")
}

// testTooLarge checks the item size limit.
func testTooLarge(t *testing.T, e *env) {
	key := store.Key{Partition: "big", Sort: "k"}
	// The JSON {"s":"..."} is 8 bytes more than the string.
	fits := strings.Repeat("x", store.MaxItemSize-8-len(key.Partition)-len(key.Sort)-512)
	e.run(t, "Put", func(t *testing.T) {
		e.put(t, key, map[string]any{"s": fits})
		if got := e.get(t, key).Data["s"]; got != fits {
			t.Errorf("a large item did not round-trip")
		}
		_, err := e.s.Put(e.ctx, &store.Item{Key: key, Data: map[string]any{"s": strings.Repeat("x", store.MaxItemSize)}})
		wantErr(t, "Put of an oversized item", err, store.ErrTooLarge, "put")
		// Escapes count as encoded: 70000 quotes are 140000 bytes of JSON,
		// and three such fields exceed the limit.
		q := strings.Repeat(`"`, 70000)
		_, err = e.s.Put(e.ctx, &store.Item{Key: key, Data: map[string]any{"a": q, "b": q, "c": q}})
		wantErr(t, "Put of an item oversized by escaping", err, store.ErrTooLarge, "put")
		if got := e.get(t, key).Data["s"]; got != fits {
			t.Errorf("a refused Put changed the item")
		}
		err = e.s.WriteMany(e.ctx, []store.Write{store.PutOp(&store.Item{Key: key, Data: map[string]any{"s": fits + fits}})})
		wantErr(t, "WriteMany of an oversized item", err, store.ErrTooLarge, "writemany")
		err = e.s.Atomic(e.ctx, []store.Write{store.PutOp(&store.Item{Key: key, Data: map[string]any{"s": fits + fits}})})
		wantErr(t, "Atomic of an oversized item", err, store.ErrTooLarge, "atomic")
	})
	e.run(t, "Update", func(t *testing.T) {
		k := store.Key{Partition: "big", Sort: "grow"}
		half := strings.Repeat("y", store.MaxItemSize/2)
		rev := e.put(t, k, map[string]any{"a": half})
		_, err := e.s.Update(e.ctx, k, []store.FieldOp{store.Set("b", half)})
		wantErr(t, "Update that makes the item too large", err, store.ErrTooLarge, "update")
		if it := e.get(t, k); it.Revision != rev || it.Data["b"] != nil {
			t.Errorf("a refused Update changed the item")
		}
	})
}

// testCancelled checks that a cancelled context stops every operation
// before it writes.
func testCancelled(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	k := store.Key{Partition: "cancel", Sort: "k"}
	existing := store.Key{Partition: "cancel", Sort: "existing"}
	rev := e.put(t, existing, map[string]any{"n": 1})
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v; want an error wrapping context.Canceled", what, err)
		}
	}
	_, err := e.s.Get(ctx, existing)
	check("Get", err)
	_, err = e.s.Put(ctx, &store.Item{Key: k, Data: map[string]any{}})
	check("Put", err)
	_, err = e.s.Update(ctx, existing, []store.FieldOp{store.Increment("n", 1)})
	check("Update", err)
	check("Delete", e.s.Delete(ctx, existing))
	_, err = e.s.GetMany(ctx, []store.Key{existing, k})
	check("GetMany", err)
	check("WriteMany", e.s.WriteMany(ctx, []store.Write{store.PutOp(&store.Item{Key: k})}))
	check("Atomic", e.s.Atomic(ctx, []store.Write{store.PutOp(&store.Item{Key: k})}))
	_, err = e.s.Query(ctx, store.Query{Partition: "cancel"})
	check("Query", err)
	e.wantMissing(t, k)
	if it := e.get(t, existing); it.Revision != rev || it.Data["n"] != int64(1) {
		t.Errorf("operations with a cancelled context changed an item: %v", it)
	}
}
