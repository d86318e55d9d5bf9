package azurecosmos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// openCounted opens a portable Store on a fresh container whose item
// requests ct counts (and may answer instead of the server).
func openCounted(t *testing.T, ct *countingTransport, opts ...store.Option) (store.Store, *cosmosDriver) {
	t.Helper()
	d := newTestDriver(t, WithHTTPClient(testHTTPClient(ct)), func(o *options) { o.trustedCert = nil })
	return driver.NewStore(d, opts...), d
}

func TestRoundTrips(t *testing.T) {
	ct := &countingTransport{}
	s, _ := openCounted(t, ct, store.WithRetry(1, time.Millisecond, time.Millisecond))
	ctx := context.Background()
	key := store.Key{Partition: "p", Sort: "a"}
	count := func(what string, want int64, f func() error) {
		t.Helper()
		before := ct.docs.Load()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := ct.docs.Load() - before; got != want {
			t.Errorf("%s took %d requests; want %d", what, got, want)
		}
	}
	var rev store.Revision
	count("Put", 1, func() (err error) {
		rev, err = s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"n": 1, "m": map[string]any{}}})
		return err
	})
	count("Put IfRevision", 1, func() (err error) {
		rev, err = s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"n": 1, "m": map[string]any{}}}, store.IfRevision(rev))
		return err
	})
	count("Put IfNotExists of an absent item", 1, func() error {
		_, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "p", Sort: "b"}, Data: map[string]any{}}, store.IfNotExists())
		return err
	})
	count("Get", 1, func() error { _, err := s.Get(ctx, key); return err })
	count("Update Set+Increment+Remove", 1, func() error {
		_, err := s.Update(ctx, key, []store.FieldOp{store.Set("s", "x"), store.Increment("n", 2), store.Remove("m")})
		return err
	})
	cur, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	count("Update IfRevision", 1, func() error {
		_, err := s.Update(ctx, key, []store.FieldOp{store.Increment("n", 1)}, store.IfRevision(cur.Revision))
		return err
	})
	it, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if it.Data["n"] != int64(4) || it.Data["s"] != "x" {
		t.Errorf("after updates: %v", it.Data)
	}
	count("Delete", 1, func() error { return s.Delete(ctx, key) })
	for i := range 10 {
		if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "q", Sort: fmt.Sprintf("k%02d", i)}, Data: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	var page *store.Page
	count("Query page", 1, func() (err error) {
		page, err = s.Query(ctx, store.Query{Partition: "q", Limit: 4})
		return err
	})
	count("next Query page", 1, func() (err error) {
		page, err = s.Query(ctx, store.Query{Partition: "q", Limit: 4, Cursor: page.Next})
		return err
	})
	if len(page.Items) != 4 || page.Items[0].Key.Sort != "k04" {
		t.Errorf("second page: %d items starting at %q", len(page.Items), page.Items[0].Key.Sort)
	}
}

// TestInjection stores SQL and JSON-pointer metacharacters in keys, field
// names and filter values, and checks they are stored and matched
// literally.
func TestInjection(t *testing.T) {
	s, _ := openCounted(t, &countingTransport{})
	ctx := context.Background()
	evil := []string{
		`' OR 1=1 --`, `" OR true OR "`, `") OR (1=1`, `\u0022`, `\"`, `x" OR c["pk"] != "`,
		`*/ SELECT * FROM c /*`, `~0~1/a`, `@p0`, `a%2Fb`, `]`, `["d"]`,
	}
	const part = `p" OR 1=1 --`
	for i, v := range evil {
		data := map[string]any{"v": v, v: int64(i), "i": int64(i)}
		if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: part, Sort: v}, Data: data}); err != nil {
			t.Fatalf("Put %q: %v", v, err)
		}
	}
	// A decoy in another partition that a broken partition filter would leak.
	if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "other", Sort: evil[0]}, Data: map[string]any{"v": evil[0]}}); err != nil {
		t.Fatal(err)
	}
	for i, v := range evil {
		it, err := s.Get(ctx, store.Key{Partition: part, Sort: v})
		if err != nil || it.Data["v"] != v || it.Key.Sort != v {
			t.Errorf("Get %q = %v, %v", v, it, err)
		}
		for _, f := range []store.Filter{store.Equal("v", v), {Path: []string{v}, Value: int64(i)}} {
			page, err := s.Query(ctx, store.Query{Partition: part, Filters: []store.Filter{f}})
			if err != nil {
				t.Fatalf("Query filter %v: %v", f, err)
			}
			if len(page.Items) != 1 || page.Items[0].Key.Sort != v {
				var got []string
				for _, it := range page.Items {
					got = append(got, it.Key.Sort)
				}
				t.Errorf("Query filter %q=%v matched %q; want only %q", f.Path, f.Value, got, v)
			}
		}
		page, err := s.Query(ctx, store.Query{Partition: part, Sort: store.SortEqual(v)})
		if err != nil || len(page.Items) != 1 || page.Items[0].Key.Sort != v {
			t.Errorf("Query sort = %q: %v, %v", v, page, err)
		}
		if _, err := s.Update(ctx, store.Key{Partition: part, Sort: v}, []store.FieldOp{{Kind: store.OpSet, Path: []string{v}, Value: "set"}}); err != nil {
			t.Errorf("Update field %q: %v", v, err)
		} else if it, err := s.Get(ctx, store.Key{Partition: part, Sort: v}); err != nil || it.Data[v] != "set" || len(it.Data) != 3 {
			t.Errorf("after Update of field %q: %v, %v", v, it, err)
		}
	}
	page, err := s.Query(ctx, store.Query{Partition: part, Limit: 100})
	if err != nil || len(page.Items) != len(evil) {
		t.Errorf("Query of the partition: %d items, %v; want %d", len(page.Items), err, len(evil))
	}
}

// TestNumbers checks the exact encoding of integers beyond ±2^53, which
// Cosmos DB (and cosmosdb-server's JSON.parse) would round as doubles.
func TestNumbers(t *testing.T) {
	s, d := openCounted(t, &countingTransport{})
	ctx := context.Background()
	key := store.Key{Partition: "n", Sort: "1"}
	data := map[string]any{
		"max": int64(math.MaxInt64), "min": int64(math.MinInt64),
		"above": int64(1<<53 + 1), "below": int64(-(1<<53 + 1)), "edge": int64(1 << 53),
		"f": 0.1, "big": 1e100, "nul": "\x00i42", "nul2": "\x00\x00x",
		"list": []any{int64(math.MaxInt64 - 1), map[string]any{"x": int64(math.MinInt64 + 1)}},
	}
	if _, err := s.Put(ctx, &store.Item{Key: key, Data: data}); err != nil {
		t.Fatal(err)
	}
	it, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(it.Data, data) {
		t.Errorf("round trip:\n got %#v\nwant %#v", it.Data, data)
	}
	// What the server holds: exact strings, not rounded doubles.
	resp, err := d.c.ReadItem(ctx, pkOf(key), itemID(key.Sort), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(resp.Value), `"max":"\u0000i9223372036854775807"`) {
		t.Errorf("stored form of MaxInt64 not exact: %s", resp.Value)
	}
	for _, v := range []any{int64(math.MaxInt64), int64(1<<53 + 1), "\x00i42"} {
		page, err := s.Query(ctx, store.Query{Partition: "n", Filters: []store.Filter{store.Equal(firstKey(data, v), v)}})
		if err != nil || len(page.Items) != 1 {
			t.Errorf("filter on %v: %v, %v", v, page, err)
		}
	}
	page, err := s.Query(ctx, store.Query{Partition: "n", Filters: []store.Filter{store.Equal("max", int64(math.MaxInt64-1))}})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("filter on MaxInt64-1 matched %v, %v", page, err)
	}
	// Increments of big integers and by float deltas go by
	// read-modify-write and stay exact.
	if _, err := s.Update(ctx, key, []store.FieldOp{store.Increment("above", int64(2)), store.Increment("f", 0.2), store.Increment("max", int64(-7))}); err != nil {
		t.Fatal(err)
	}
	it, err = s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	// A patched counter that would leave ±2^53 fails the patch condition
	// and is computed exactly by read-modify-write.
	if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "n", Sort: "2"}, Data: map[string]any{"c": int64(1<<53 - 1), "Cap": int64(-(1<<53 - 1)), "z": nil}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, store.Key{Partition: "n", Sort: "2"}, []store.FieldOp{store.Increment("c", int64(6)), store.Increment("Cap", int64(-6))}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, store.Key{Partition: "n", Sort: "2"}, []store.FieldOp{store.Increment("z", int64(1))}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Increment of a null field: %v; want ErrInvalidArgument", err)
	}
	if it, err := s.Get(ctx, store.Key{Partition: "n", Sort: "2"}); err != nil || it.Data["c"] != int64(1<<53+5) || it.Data["Cap"] != int64(-(1<<53+5)) {
		t.Errorf("counter across 2^53: %v, %v", it, err)
	}
	tenth := 0.1
	if it.Data["above"] != int64(1<<53+3) || it.Data["max"] != int64(math.MaxInt64-7) || it.Data["f"] != tenth+0.2 {
		t.Errorf("after increments: above=%v max=%v f=%v", it.Data["above"], it.Data["max"], it.Data["f"])
	}
}

func firstKey(m map[string]any, v any) string {
	for k, e := range m {
		if e == v {
			return k
		}
	}
	return ""
}

func respond(r *http.Request, status int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/json")
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header: header, Body: io.NopCloser(strings.NewReader(`{"code":"Injected","message":"injected by the test"}`)),
		Request: r, ProtoMajor: 1, ProtoMinor: 1,
	}
}

// TestErrors checks the mapping of status codes and the retries.
func TestErrors(t *testing.T) {
	ct := &countingTransport{}
	_, d := openCounted(t, ct)
	ctx := context.Background()
	now := time.Now()
	key := store.Key{Partition: "e", Sort: "1"}
	rev, err := d.Put(ctx, &store.Item{Key: key, Data: map[string]any{}}, store.Condition{}, now)
	if err != nil {
		t.Fatal(err)
	}
	var re *azcore.ResponseError

	_, err = d.Put(ctx, &store.Item{Key: key, Data: map[string]any{}}, store.IfNotExists(), now)
	if !errors.Is(err, store.ErrAlreadyExists) || !errors.As(err, &re) || re.StatusCode != http.StatusConflict {
		t.Errorf("create of an existing item: %v; want ErrAlreadyExists wrapping a 409", err)
	}
	_, err = d.Put(ctx, &store.Item{Key: key, Data: map[string]any{}}, store.IfRevision(rev+"x"), now)
	if !errors.Is(err, store.ErrRevisionMismatch) || !errors.As(err, &re) || re.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %v; want ErrRevisionMismatch wrapping a 412", err)
	}
	_, err = d.Update(ctx, store.Key{Partition: "e", Sort: "absent"}, []store.FieldOp{store.Set("a", 1)}, store.Condition{}, now)
	if !errors.Is(err, store.ErrNotFound) || !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Errorf("patch of an absent item: %v; want ErrNotFound wrapping a 404", err)
	}

	// 429 twice, then the server: the portable Store (not the SDK)
	// retries after x-ms-retry-after-ms.
	injected := 0
	ct.inject = func(r *http.Request) *http.Response {
		if injected < 2 {
			injected++
			return respond(r, http.StatusTooManyRequests, http.Header{"X-Ms-Retry-After-Ms": {"1"}})
		}
		return nil
	}
	before := ct.docs.Load()
	if _, err := driver.NewStore(d, store.WithRetry(3, time.Millisecond, time.Millisecond)).Get(ctx, key); err != nil {
		t.Errorf("Get after two 429s: %v", err)
	}
	if n := ct.docs.Load() - before; n != 3 {
		t.Errorf("Get after two 429s took %d requests; want 3", n)
	}

	// 429 for ever: ErrThrottled with the delay asked for, after one
	// request from the driver, and exactly the store's attempts from the
	// portable Store (the SDK's retryer under it made it 4 times as many).
	ct.inject = func(r *http.Request) *http.Response {
		return respond(r, http.StatusTooManyRequests, http.Header{"X-Ms-Retry-After-Ms": {"3"}})
	}
	before = ct.docs.Load()
	_, err = driver.NewStore(d, store.WithRetry(5, time.Millisecond, time.Millisecond)).Get(ctx, key)
	if n := ct.docs.Load() - before; !errors.Is(err, store.ErrThrottled) || n != 5 {
		t.Errorf("one Get throttled for ever: %v after %d requests; want ErrThrottled after 5 (the store's attempts)", err, n)
	}
	_, err = d.Get(ctx, key)
	if !errors.Is(err, store.ErrThrottled) || store.RetryAfter(err) != 3*time.Millisecond || !errors.As(err, &re) {
		t.Errorf("persistent 429: %v (retry after %v); want ErrThrottled after 3ms wrapping the response error", err, store.RetryAfter(err))
	}

	// 503 once: the portable Store retries reads.
	injected = 0
	ct.inject = func(r *http.Request) *http.Response {
		if injected < 1 {
			injected++
			return respond(r, http.StatusServiceUnavailable, nil)
		}
		return nil
	}
	ps := driver.NewStore(d, store.WithRetry(3, time.Millisecond, time.Millisecond))
	before = ct.docs.Load()
	if _, err := ps.Get(ctx, key); err != nil {
		t.Errorf("Get after a 503: %v", err)
	}
	if n := ct.docs.Load() - before; n != 2 {
		t.Errorf("Get after a 503 took %d requests; want 2", n)
	}

	for status, kind := range map[int]error{
		http.StatusRequestEntityTooLarge: store.ErrTooLarge,
		http.StatusBadRequest:            store.ErrInvalidArgument,
		http.StatusServiceUnavailable:    store.ErrUnavailable,
	} {
		ct.inject = func(r *http.Request) *http.Response {
			return respond(r, status, http.Header{"X-Ms-Retry-After-Ms": {"1"}})
		}
		_, err := d.Put(ctx, &store.Item{Key: key, Data: map[string]any{}}, store.Condition{}, now)
		if !errors.Is(err, kind) || !errors.As(err, &re) || re.StatusCode != status {
			t.Errorf("status %d: %v; want %v wrapping the response error", status, err, kind)
		}
	}
	ct.inject = nil
}

// TestCosmosDBServerGaps checks by hand, against the server, each gap of
// cosmosdb-server 1.0.1 that WithCosmosDBServer and
// CosmosDBServerLimitations work around or declare. If the server stops
// showing one, this test fails, so that the workaround can go.
func TestCosmosDBServerGaps(t *testing.T) {
	emulator.Need(t, spec, launchErr)
	if v := endpoint; !strings.Contains(v, "127.0.0.1") {
		t.Skipf("%s points at %s, which may not be cosmosdb-server", emulator.CosmosDBServerEnv, v)
	}
	d := newTestDriver(t)
	ctx := context.Background()
	pk := azcosmos.NewPartitionKeyString("g")

	t.Run("point read of an absent item answers 500", func(t *testing.T) {
		_, err := d.c.ReadItem(ctx, pk, "absent", nil)
		if statusOf(err) != http.StatusInternalServerError {
			t.Errorf("ReadItem of an absent item: %v; the server used to answer 500 (cosmosDriver.read works around it)", err)
		}
	})

	t.Run("batch without per-operation partition keys fails", func(t *testing.T) {
		plain, err := openTestDriver(ctx, d.c.ID(), WithEndpoint(endpoint), WithKey(EmulatorKey), WithTrustedCertificate(certPEM),
			WithDatabase("anyfunc"))
		if err != nil {
			t.Fatal(err)
		}
		b := plain.c.NewTransactionalBatch(pk)
		b.UpsertItem([]byte(`{"id":"b","pk":"g","sk":"62","d":{}}`), nil)
		resp, err := plain.c.ExecuteTransactionalBatch(ctx, b, nil)
		if err == nil && resp.Success {
			t.Errorf("a batch upsert without partitionKey in the operation succeeded; batchPartitionKeyPolicy may go")
		}
	})

	t.Run("patch set under a missing parent writes the grandparent", func(t *testing.T) {
		if _, err := d.c.UpsertItem(ctx, pk, []byte(`{"id":"s","pk":"g","sk":"73","d":{}}`), nil); err != nil {
			t.Fatal(err)
		}
		var p azcosmos.PatchOperations
		p.AppendSet("/d/missing/x", 1)
		_, err := d.c.PatchItem(ctx, pk, "s", p, nil)
		resp, rerr := d.c.ReadItem(ctx, pk, "s", nil)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil || !strings.Contains(string(resp.Value), `"d":{"x":1}`) {
			t.Errorf("patch set under a missing parent: %v, item %s; the server used to write d.x (nested updates may use PatchItem)", err, resp.Value)
		}
	})

	t.Run("a failed batch is not rolled back", func(t *testing.T) {
		if _, err := d.c.UpsertItem(ctx, pk, []byte(`{"id":"r2","pk":"g","sk":"7232","d":{}}`), nil); err != nil {
			t.Fatal(err)
		}
		b := d.c.NewTransactionalBatch(pk)
		b.CreateItem([]byte(`{"id":"r1","pk":"g","sk":"7231","d":{}}`), nil)
		b.CreateItem([]byte(`{"id":"r2","pk":"g","sk":"7232","d":{}}`), nil) // exists: 409
		resp, err := d.c.ExecuteTransactionalBatch(ctx, b, nil)
		if err != nil || len(resp.OperationResults) != 2 || resp.OperationResults[1].StatusCode != http.StatusConflict {
			t.Fatalf("batch with a conflicting create: %v, %+v", err, resp.OperationResults)
		}
		if !resp.Success {
			t.Errorf("the failed batch answered 207; the server used to answer 200 (atomicOnce reads every status anyway)")
		}
		if _, err := d.c.ReadItem(ctx, pk, "r1", nil); err != nil {
			t.Errorf("the first create was rolled back (%v): the server now rolls back; drop it from CosmosDBServerLimitations", err)
		}
	})

	t.Run("a missing container answers 404 without sub-status", func(t *testing.T) {
		plain, err := openTestDriver(ctx, fmt.Sprintf("absent%d", containerSeq.Add(1)), WithEndpoint(endpoint), WithKey(EmulatorKey), WithTrustedCertificate(certPEM),
			WithDatabase("anyfunc"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = plain.c.DeleteItem(ctx, pk, "x", nil)
		if statusOf(err) != http.StatusNotFound || subStatusOf(err) != "" {
			t.Errorf("DeleteItem in a missing container: %v (sub-status %q); the server used to answer 404 without "+
				"a sub-status (ownerSubStatusPolicy may go if it now sends 1003)", err, subStatusOf(err))
		}
	})

	t.Run("If-Match inside a batch is enforced", func(t *testing.T) {
		b := d.c.NewTransactionalBatch(pk)
		stale := azcore.ETag("stale")
		b.ReplaceItem("r2", []byte(`{"id":"r2","pk":"g","sk":"7232","d":{"v":1}}`), &azcosmos.TransactionalBatchItemOptions{IfMatchETag: &stale})
		resp, err := d.c.ExecuteTransactionalBatch(ctx, b, nil)
		if err != nil || len(resp.OperationResults) != 1 || resp.OperationResults[0].StatusCode != http.StatusPreconditionFailed {
			t.Errorf("batch replace with a stale If-Match: %v, %+v; want 412", err, resp.OperationResults)
		}
	})
}

// TestUpdateFallbacks covers the updates PatchItem cannot do exactly.
func TestUpdateFallbacks(t *testing.T) {
	s, _ := openCounted(t, &countingTransport{})
	ctx := context.Background()
	key := store.Key{Partition: "u", Sort: "1"}
	if _, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"m": map[string]any{"a": int64(1)}, "s": "x"}}); err != nil {
		t.Fatal(err)
	}
	var ops []store.FieldOp
	for i := range 12 {
		ops = append(ops, store.Set(fmt.Sprintf("f%d", i), i))
	}
	if _, err := s.Update(ctx, key, ops); err != nil {
		t.Fatalf("Update with 12 operations: %v", err)
	}
	for _, tc := range []struct {
		op   store.FieldOp
		kind error
	}{
		{store.Remove("absent"), nil},
		{store.Set("missing.x", 1), store.ErrInvalidArgument},
		{store.Set("s.x", 1), store.ErrInvalidArgument},
		{store.Increment("s", 1), store.ErrInvalidArgument},
		{store.Increment("m.a", 2), nil},
	} {
		_, err := s.Update(ctx, key, []store.FieldOp{tc.op})
		if (tc.kind == nil && err != nil) || (tc.kind != nil && !errors.Is(err, tc.kind)) {
			t.Errorf("Update %v %q: %v; want %v", tc.op.Kind, tc.op.Path, err, tc.kind)
		}
	}
	it, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Data) != 14 || it.Data["f11"] != int64(11) || it.Data["m"].(map[string]any)["a"] != int64(3) {
		t.Errorf("after updates: %v", it.Data)
	}
	// Repeated sets raise the stored size bound past the limit; the
	// update then measures the item exactly and goes through.
	big := strings.Repeat("x", 150*1024)
	for i := range 4 {
		if _, err := s.Update(ctx, key, []store.FieldOp{store.Set("big", big)}); err != nil {
			t.Fatalf("set %d of a 150 KB field: %v", i, err)
		}
	}
	_, err = s.Update(ctx, key, []store.FieldOp{store.Set("big2", big), store.Set("big3", big)})
	if !errors.Is(err, store.ErrTooLarge) {
		t.Errorf("Update to 450 KB: %v; want ErrTooLarge", err)
	}
}

// TestOpenURL opens a container through store.Open and checks what
// EnsureContainer created.
func TestOpenURL(t *testing.T) {
	emulator.Need(t, spec, launchErr)
	certFile := t.TempDir() + "/cert.pem"
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("url%d", containerSeq.Add(1))
	q := url.Values{"endpoint": {endpoint}, "key": {"emulator"}, "cert_file": {certFile}, "server": {"cosmosdb-server"}, "ensure": {"true"}}
	ctx := context.Background()
	s, err := store.Open(ctx, "cosmos://local/anyfunc/"+name+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Capabilities(); c.Backend != "azurecosmos" || c.Limitations["Atomic/RollbackOnCondition"] == "" {
		t.Errorf("capabilities %+v", c)
	}
	key := store.Key{Partition: "u", Sort: "1"}
	if _, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	if it, err := s.Get(ctx, key); err != nil || it.Data["a"] != "b" {
		t.Errorf("Get: %v, %v", it, err)
	}
	// A second EnsureContainer is a no-op; the container is as documented.
	opts := []Option{WithEndpoint(endpoint), WithKey(EmulatorKey), WithTrustedCertificate(certPEM), WithDatabase("anyfunc")}
	if err := EnsureContainer(ctx, name, opts...); err != nil {
		t.Fatal(err)
	}
	d, err := openTestDriver(ctx, name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = d.c.Delete(ctx, nil) }()
	props, err := d.c.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := props.ContainerProperties
	if p.DefaultTimeToLive == nil || *p.DefaultTimeToLive != -1 || len(p.PartitionKeyDefinition.Paths) != 1 || p.PartitionKeyDefinition.Paths[0] != PartitionKeyPath {
		t.Errorf("container: ttl %v, partition key %+v", p.DefaultTimeToLive, p.PartitionKeyDefinition)
	}
}

// TestTLSTrust checks that the emulator's certificate is trusted only when
// asked, and then only that certificate.
func TestTLSTrust(t *testing.T) {
	emulator.Need(t, spec, launchErr)
	ctx := context.Background()
	base := []Option{WithEndpoint(endpoint), WithKey(EmulatorKey), WithDatabase("anyfunc")}
	d, err := OpenDriver(ctx, "tls", base...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Get(ctx, store.Key{Partition: "p"})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Get without WithTrustedCertificate: %v; want a certificate error", err)
	}
	if _, err := OpenDriver(ctx, "tls", append(base, WithTrustedCertificate([]byte("not a certificate")))...); err == nil {
		t.Error("WithTrustedCertificate accepted garbage")
	}
	other := pinnedTLS([]byte("another certificate"))
	if err := other.VerifyPeerCertificate([][]byte{certDER}, nil); err == nil {
		t.Error("a pin on another certificate accepted the server's")
	}
	if err := pinnedTLS(certDER).VerifyPeerCertificate([][]byte{certDER}, nil); err != nil {
		t.Errorf("the pin refused its own certificate: %v", err)
	}
}

// TestAmbiguousWrite checks that a conditional write or a patch which the
// server applied but answered with a 504 is not sent again (the second
// attempt would meet its own write and report a conflict, or increment
// twice): it fails with ErrUnavailable, and the item holds it once. A
// 429, which is never applied, is still retried.
func TestAmbiguousWrite(t *testing.T) {
	ct := &countingTransport{}
	s, _ := openCounted(t, ct)
	ctx := context.Background()
	key := store.Key{Partition: "amb", Sort: "1"}
	applyThen504 := func(method string) {
		done := false
		ct.inject = func(r *http.Request) *http.Response {
			if done || r.Method != method {
				return nil
			}
			done = true
			resp, err := ct.base.RoundTrip(r)
			if err != nil {
				t.Errorf("forwarding %s: %v", method, err)
				return nil
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return respond(r, http.StatusGatewayTimeout, nil)
		}
	}

	applyThen504(http.MethodPost)
	before := ct.docs.Load()
	_, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"n": 1}}, store.IfNotExists())
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("create answered 504 after it was applied: %v; want ErrUnavailable, not a conflict", err)
	}
	if n := ct.docs.Load() - before; n != 1 {
		t.Errorf("the create was sent %d times; want once", n)
	}
	ct.inject = nil
	it, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}

	applyThen504(http.MethodPatch)
	_, err = s.Update(ctx, key, []store.FieldOp{store.Increment("n", 1)}, store.IfRevision(it.Revision))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("patch answered 504 after it was applied: %v; want ErrUnavailable", err)
	}
	ct.inject = nil
	if it, err := s.Get(ctx, key); err != nil || it.Data["n"] != int64(2) {
		t.Errorf("after one increment: %+v, %v; want n 2", it, err)
	}

	throttled := false
	ct.inject = func(r *http.Request) *http.Response {
		if throttled || r.Method != http.MethodPost {
			return nil
		}
		throttled = true
		return respond(r, http.StatusTooManyRequests, http.Header{"X-Ms-Retry-After-Ms": {"1"}})
	}
	if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "amb", Sort: "2"}}, store.IfNotExists()); err != nil {
		t.Errorf("create after one 429: %v", err)
	}
	ct.inject = nil
}

// TestWriteManyKeyOrder checks that WriteMany applies writes to the same
// key in their order, and writes to different keys in parallel. Creates
// and upserts are slowed down, so that a later write to the same key sent
// at once would overtake them.
func TestWriteManyKeyOrder(t *testing.T) {
	ct := &countingTransport{}
	var inFlight, maxInFlight atomic.Int64
	ct.inject = func(r *http.Request) *http.Response {
		if r.Method == http.MethodPost {
			n := inFlight.Add(1)
			for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
			}
			time.Sleep(150 * time.Millisecond)
			inFlight.Add(-1)
		}
		return nil
	}
	s, _ := openCounted(t, ct)
	ctx := context.Background()
	key := func(s string) store.Key { return store.Key{Partition: "wm", Sort: s} }
	item := func(s string, data map[string]any) *store.Item { return &store.Item{Key: key(s), Data: data} }
	writes := []store.Write{
		store.PutOp(item("a", map[string]any{"v": 1})),
		store.PutOp(item("b", map[string]any{"n": 0}), store.IfNotExists()),
		store.PutOp(item("c", map[string]any{"v": 1})),
		store.DeleteOp(key("a")),
		store.UpdateOp(key("b"), []store.FieldOp{store.Increment("n", 1)}),
		store.PutOp(item("c", map[string]any{"v": 2})),
		store.PutOp(item("d", map[string]any{})),
		store.PutOp(item("e", map[string]any{})),
	}
	if err := s.WriteMany(ctx, writes); err != nil {
		t.Fatalf("WriteMany: %v", err)
	}
	ct.inject = nil
	if it, err := s.Get(ctx, key("a")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a after [Put a, Delete a]: %v, %v; want ErrNotFound", it, err)
	}
	if it, err := s.Get(ctx, key("b")); err != nil || it.Data["n"] != int64(1) {
		t.Errorf("b after [Put b IfNotExists, Update b]: %v, %v; want n 1", it, err)
	}
	if it, err := s.Get(ctx, key("c")); err != nil || it.Data["v"] != int64(2) {
		t.Errorf("c after [Put c v1, Put c v2]: %v, %v; want v 2", it, err)
	}
	if m := maxInFlight.Load(); m < 2 {
		t.Errorf("at most %d write in flight; writes to different keys should run in parallel", m)
	}
}

// TestMissingContainer opens stores on a container that does not exist
// (in an existing database, and in a missing one): every operation fails
// with ErrUnavailable, never with ErrNotFound or, for an unconditional
// Delete, with success. cosmosdb-server sends no sub-status; the policy
// that WithCosmosDBServer installs gives it the 1003 Cosmos DB sends.
func TestMissingContainer(t *testing.T) {
	newTestDriver(t) // creates the database
	ctx := context.Background()
	for _, db := range []string{"anyfunc", fmt.Sprintf("nodb%d", os.Getpid())} {
		d, err := OpenDriver(ctx, fmt.Sprintf("absent%d", containerSeq.Add(1)), WithEndpoint(endpoint), WithKey(EmulatorKey), WithTrustedCertificate(certPEM),
			WithDatabase(db), WithCosmosDBServer())
		if err != nil {
			t.Fatal(err)
		}
		s := driver.NewStore(d, store.WithRetry(1, time.Millisecond, time.Millisecond))
		key := store.Key{Partition: "p", Sort: "k"}
		put := func(cond ...store.Condition) error {
			_, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"a": 1}}, cond...)
			return err
		}
		const rev = store.Revision(`"00000000-0000-0000-0000-000000000000"`)
		for _, tc := range []struct {
			name string
			f    func() error
			msg  bool // the message says what is missing
		}{
			{"Get", func() error { _, err := s.Get(ctx, key); return err }, true},
			{"Delete", func() error { return s.Delete(ctx, key) }, true},
			{"Delete IfExists", func() error { return s.Delete(ctx, key, store.IfExists()) }, true},
			{"Delete IfRevision", func() error { return s.Delete(ctx, key, store.IfRevision(rev)) }, true},
			{"Put", func() error { return put() }, true},
			{"Put IfNotExists", func() error { return put(store.IfNotExists()) }, false}, // cosmosdb-server answers 500
			{"Put IfExists", func() error { return put(store.IfExists()) }, true},
			{"Put IfRevision", func() error { return put(store.IfRevision(rev)) }, true},
			{"Update", func() error {
				_, err := s.Update(ctx, key, []store.FieldOp{store.Increment("a", 1)})
				return err
			}, true},
			{"GetMany", func() error { _, err := s.GetMany(ctx, []store.Key{key}); return err }, true},
			{"Query", func() error { _, err := s.Query(ctx, store.Query{Partition: "p"}); return err }, true},
			{"WriteMany", func() error {
				return s.WriteMany(ctx, []store.Write{store.DeleteOp(key)})
			}, true},
			{"Atomic", func() error {
				return s.Atomic(ctx, []store.Write{store.PutOp(&store.Item{Key: key, Data: map[string]any{}})})
			}, true},
		} {
			err := tc.f()
			if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
				t.Errorf("%s: %s: %v; want ErrUnavailable", db, tc.name, err)
				continue
			}
			if tc.msg && !strings.Contains(fmt.Sprint(err), "does not exist") {
				t.Errorf("%s: %s: %v; want a message that the container does not exist", db, tc.name, err)
			}
		}
	}
}

// TestNotFoundSubStatus checks the mapping of Cosmos DB's 404 sub-statuses
// with injected answers: 1003 (the container or database does not exist)
// and 1002 (read session not available) are ErrUnavailable, whatever the
// operation; 0 is the item's absence.
func TestNotFoundSubStatus(t *testing.T) {
	ct := &countingTransport{}
	s, _ := openCounted(t, ct, store.WithRetry(1, time.Millisecond, time.Millisecond))
	ctx := context.Background()
	key := store.Key{Partition: "ss", Sort: "1"}
	if _, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"Get":    func() error { _, err := s.Get(ctx, key); return err },
		"Delete": func() error { return s.Delete(ctx, key) },
		"Update": func() error {
			_, err := s.Update(ctx, key, []store.FieldOp{store.Increment("n", 1)})
			return err
		},
		"Put IfRevision": func() error {
			_, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{}}, store.IfRevision(`"x"`))
			return err
		},
	}
	for _, sub := range []string{"1003", "1002"} {
		ct.inject = func(r *http.Request) *http.Response {
			return respond(r, http.StatusNotFound, http.Header{"X-Ms-Substatus": {sub}})
		}
		for name, f := range ops {
			err := f()
			var re *azcore.ResponseError
			if !errors.Is(err, store.ErrUnavailable) || !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
				t.Errorf("404 sub-status %s: %s: %v; want ErrUnavailable wrapping the 404", sub, name, err)
			}
		}
	}
	ct.inject = func(r *http.Request) *http.Response {
		return respond(r, http.StatusNotFound, http.Header{"X-Ms-Substatus": {"0"}})
	}
	if err := ops["Update"](); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("404 sub-status 0: Update: %v; want ErrNotFound", err)
	}
	if err := ops["Delete"](); err != nil {
		t.Errorf("404 sub-status 0: Delete: %v; want success", err)
	}
	ct.inject = nil
	if it, err := s.Get(ctx, key); err != nil || it.Data["n"] != int64(1) {
		t.Errorf("the item after the injected answers: %v, %v", it, err)
	}
}

// TestFarExpiry checks items that expire beyond what Cosmos DB's int32
// ttl can say (about 68 years): they are written, without a ttl, and read
// back with their expiry.
func TestFarExpiry(t *testing.T) {
	s, d := openCounted(t, &countingTransport{})
	ctx := context.Background()
	for i, exp := range []time.Time{
		time.Now().AddDate(100, 0, 0),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		key := store.Key{Partition: "far", Sort: fmt.Sprint(i)}
		if _, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"i": i}, ExpiresAt: exp}); err != nil {
			t.Errorf("Put expiring %v: %v", exp, err)
			continue
		}
		it, err := s.Get(ctx, key)
		if err != nil || it.ExpiresAt.UnixMilli() != exp.UnixMilli() {
			t.Errorf("Get of the item expiring %v: %v, %v", exp, it, err)
		}
		if _, err := s.Update(ctx, key, []store.FieldOp{store.Set("s", "x")}); err != nil {
			t.Errorf("Update of the item expiring %v: %v", exp, err)
		}
		resp, err := d.c.ReadItem(ctx, pkOf(key), itemID(key.Sort), nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(resp.Value), `"ttl"`) {
			t.Errorf("the item expiring %v is stored with a ttl: %s", exp, resp.Value)
		}
	}
	page, err := s.Query(ctx, store.Query{Partition: "far"})
	if err != nil || len(page.Items) != 2 {
		t.Errorf("Query: %v, %v; want both items", page, err)
	}
}
