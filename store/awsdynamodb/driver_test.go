package awsdynamodb

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

var ctx = context.Background()

func put(t *testing.T, s store.Store, p, sk string, data map[string]any) store.Revision {
	t.Helper()
	rev, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: p, Sort: sk}, Data: data})
	if err != nil {
		t.Fatalf("put %s/%s: %v", p, sk, err)
	}
	return rev
}

// TestRoundTrips counts the HTTP requests each operation makes.
func TestRoundTrips(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d)
	k := store.Key{Partition: "p", Sort: "a"}
	check := func(what, op string, want int) {
		t.Helper()
		if got, all := ft.count(op), ft.count(""); got != want || all != want {
			t.Errorf("%s: %d %s requests (%d in all), want %d", what, got, op, all, want)
		}
		ft.reset()
	}
	ft.reset()
	rev, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 1}}, store.IfNotExists())
	if err != nil {
		t.Fatal(err)
	}
	check("Put", "PutItem", 1)
	if _, err := s.Get(ctx, k); err != nil {
		t.Fatal(err)
	}
	check("Get", "GetItem", 1)
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Increment("n", 1), store.Set("m", "x"), store.Remove("z")}, store.IfRevision(rev)); err != nil {
		t.Fatal(err)
	}
	check("Update", "UpdateItem", 1)
	if err := s.Delete(ctx, k, store.IfExists()); err != nil {
		t.Fatal(err)
	}
	check("Delete", "DeleteItem", 1)

	var writes []store.Write
	var keys []store.Key
	for i := range 250 {
		k := store.Key{Partition: "p", Sort: fmt.Sprintf("%03d", i)}
		keys = append(keys, k)
		writes = append(writes, store.PutOp(&store.Item{Key: k, Data: map[string]any{"i": i, "even": i%2 == 0}}))
	}
	if err := s.WriteMany(ctx, writes); err != nil {
		t.Fatal(err)
	}
	check("WriteMany of 250 puts", "BatchWriteItem", 10)
	items, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	check("GetMany of 250 keys", "BatchGetItem", 3)
	for i, it := range items {
		if it == nil || it.Data["i"] != int64(i) {
			t.Fatalf("GetMany[%d] = %+v", i, it)
		}
	}
	page, err := s.Query(ctx, store.Query{Partition: "p", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	check("Query page of 100", "Query", 1)
	if len(page.Items) != 100 || page.Next == "" {
		t.Fatalf("query page: %d items, next %q", len(page.Items), page.Next)
	}
	atomicWrites := []store.Write{
		store.UpdateOp(keys[0], []store.FieldOp{store.Set("x", 1)}),
		store.DeleteOp(keys[1]),
		store.PutOp(&store.Item{Key: store.Key{Partition: "p", Sort: "new"}}, store.IfNotExists()),
	}
	if err := s.Atomic(ctx, atomicWrites); err != nil {
		t.Fatal(err)
	}
	check("Atomic of 3", "TransactWriteItems", 1)
}

// TestQueryShortPages checks that a filter that leaves DynamoDB's pages
// short still yields full pages that resume exactly.
func TestQueryShortPages(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d)
	var writes []store.Write
	for i := range 200 {
		writes = append(writes, store.PutOp(&store.Item{Key: store.Key{Partition: "q", Sort: fmt.Sprintf("%03d", i)}, Data: map[string]any{"tenth": i%10 == 0}}))
	}
	if err := s.WriteMany(ctx, writes); err != nil {
		t.Fatal(err)
	}
	var got []string
	cursor := ""
	pages := 0
	ft.reset()
	for {
		page, err := s.Query(ctx, store.Query{Partition: "q", Filters: []store.Filter{store.Equal("tenth", true)}, Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.Next != "" && len(page.Items) != 3 {
			t.Errorf("page %d has %d items and more to come", pages, len(page.Items))
		}
		for _, it := range page.Items {
			got = append(got, it.Key.Sort)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	want := []string{}
	for i := 0; i < 200; i += 10 {
		want = append(want, fmt.Sprintf("%03d", i))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if n := ft.count("Query"); n < pages {
		t.Errorf("%d Query requests for %d pages", n, pages)
	}
}

// TestUnprocessedKeys makes DynamoDB leave keys unprocessed in the first
// BatchGetItem answers: every item still comes back at its index.
func TestUnprocessedKeys(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d)
	var keys []store.Key
	var writes []store.Write
	for i := range 250 {
		k := store.Key{Partition: "g", Sort: fmt.Sprintf("%03d", i)}
		keys = append(keys, k)
		if i%7 != 3 { // some keys stay missing
			writes = append(writes, store.PutOp(&store.Item{Key: k, Data: map[string]any{"i": i}}))
		}
	}
	if err := s.WriteMany(ctx, writes); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64 // GetMany sends its requests concurrently
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		if op != "BatchGetItem" || calls.Add(1) > 4 {
			return send(body)
		}
		// Hold back the last 30 keys (all of them if fewer), as DynamoDB
		// does when it runs out of capacity or response size.
		req := jsonMap(t, body)
		ri := req["RequestItems"].(map[string]any)[d.table].(map[string]any)
		ks := ri["Keys"].([]any)
		n := max(len(ks)-30, 0)
		held := ks[n:]
		ri["Keys"] = ks[:n]
		resp := map[string]any{"Responses": map[string]any{d.table: []any{}}}
		if n > 0 {
			status, out, err := send(mustJSON(t, req))
			if err != nil || status != 200 {
				return status, out, err
			}
			resp = jsonMap(t, out)
		}
		resp["UnprocessedKeys"] = map[string]any{d.table: map[string]any{"Keys": held, "ConsistentRead": true}}
		return 200, mustJSON(t, resp), nil
	})
	items, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		switch {
		case i%7 == 3 && it != nil:
			t.Errorf("GetMany[%d]: got %+v for a missing key", i, it.Key)
		case i%7 != 3 && (it == nil || it.Key != keys[i] || it.Data["i"] != int64(i)):
			t.Errorf("GetMany[%d] = %+v, want key %+v", i, it, keys[i])
		}
	}
	if n := ft.count("BatchGetItem"); n < 4 {
		t.Errorf("%d BatchGetItem requests; the hook held keys back 4 times", n)
	}

	// Keys that stay unprocessed end in ErrThrottled, never in a wrong
	// or partial answer.
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		req := jsonMap(t, body)
		ri := req["RequestItems"].(map[string]any)[d.table].(map[string]any)
		return 200, mustJSON(t, map[string]any{"Responses": map[string]any{d.table: []any{}}, "UnprocessedKeys": map[string]any{d.table: ri}}), nil
	})
	if _, err := d.GetMany(ctx, keys[:5]); !errors.Is(err, store.ErrThrottled) {
		t.Errorf("GetMany with keys always unprocessed: %v, want ErrThrottled", err)
	}
	if n := ft.count("BatchGetItem"); n != d.batchAttempts {
		t.Errorf("%d requests, want %d", n, d.batchAttempts)
	}
}

// TestUnprocessedItems makes DynamoDB leave writes unprocessed: they are
// retried and none is lost; those that stay unprocessed fail at their own
// index with ErrThrottled.
func TestUnprocessedItems(t *testing.T) {
	d, ft := newFakeDriver(t)
	var held atomic.Int64 // WriteMany sends its batches concurrently
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		if op != "BatchWriteItem" || held.Add(1) > 3 {
			return send(body)
		}
		req := jsonMap(t, body)
		ri := req["RequestItems"].(map[string]any)
		ws := ri[d.table].([]any)
		n := max(len(ws)-5, 0)
		ri[d.table] = ws[:n]
		status, out, err := send(mustJSON(t, req))
		if err != nil || status != 200 {
			return status, out, err
		}
		resp := jsonMap(t, out)
		resp["UnprocessedItems"] = map[string]any{d.table: ws[n:]}
		return 200, mustJSON(t, resp), nil
	})
	var writes []store.Write
	var keys []store.Key
	for i := range 60 {
		k := store.Key{Partition: "w", Sort: fmt.Sprintf("%02d", i)}
		keys = append(keys, k)
		writes = append(writes, store.PutOp(&store.Item{Key: k, Data: map[string]any{"i": i}}))
	}
	if errs := d.WriteMany(ctx, writes, time.Now()); errs != nil {
		t.Fatalf("WriteMany: %v", errs)
	}
	ft.setHook(nil)
	items, err := d.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if it == nil || it.Data["i"] != int64(i) {
			t.Errorf("item %d after WriteMany: %+v", i, it)
		}
	}

	// One key is never processed: only its write fails.
	stuck := `"` + keys[7].Sort + `"`
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		if op != "BatchWriteItem" {
			return send(body)
		}
		req := jsonMap(t, body)
		ri := req["RequestItems"].(map[string]any)
		var keep, hold []any
		for _, w := range ri[d.table].([]any) {
			if strings.Contains(string(mustJSON(t, w)), stuck) {
				hold = append(hold, w)
			} else {
				keep = append(keep, w)
			}
		}
		resp := map[string]any{"UnprocessedItems": map[string]any{}}
		if len(keep) > 0 {
			ri[d.table] = keep
			status, out, err := send(mustJSON(t, req))
			if err != nil || status != 200 {
				return status, out, err
			}
			resp = jsonMap(t, out)
		}
		if len(hold) > 0 {
			resp["UnprocessedItems"] = map[string]any{d.table: hold}
		}
		return 200, mustJSON(t, resp), nil
	})
	for i := range writes {
		writes[i] = store.DeleteOp(keys[i])
	}
	errs := d.WriteMany(ctx, writes, time.Now())
	for i, err := range errs {
		if (i == 7) != (err != nil) || (i == 7 && !errors.Is(err, store.ErrThrottled)) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if errs == nil {
		t.Error("WriteMany reported no error for the stuck write")
	}
	ft.setHook(nil)
	items, err = d.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if (i == 7) != (it != nil) {
			t.Errorf("item %d after the deletes: %+v", i, it)
		}
	}
}

// TestThrottling answers requests with ProvisionedThroughputExceeded:
// the store retries (the SDK does not), and a throttle that lasts is
// ErrThrottled wrapping the SDK's error.
func TestThrottling(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d, store.WithRetry(3, time.Millisecond, time.Millisecond))
	left := 2 // the store's third attempt succeeds
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		if op == "PutItem" && left > 0 {
			left--
			return throttle()
		}
		return send(body)
	})
	k := store.Key{Partition: "t", Sort: "x"}
	rev, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"v": 1}}, store.IfNotExists())
	if err != nil {
		t.Fatalf("Put after 2 throttles: %v", err)
	}
	if n := ft.count("PutItem"); n != 3 {
		t.Errorf("%d PutItem requests, want 3 (2 throttled)", n)
	}
	it, err := s.Get(ctx, k)
	if err != nil || it.Revision != rev {
		t.Fatalf("Get after throttled put: %+v, %v", it, err)
	}

	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		return throttle()
	})
	_, err = s.Get(ctx, k)
	var pte *types.ProvisionedThroughputExceededException
	if !errors.Is(err, store.ErrThrottled) || !errors.As(err, &pte) {
		t.Errorf("Get always throttled: %v, want ErrThrottled wrapping ProvisionedThroughputExceededException", err)
	}
	if n := ft.count(""); n != 3 {
		t.Errorf("%d requests, want 3: the store's attempts, one request each", n)
	}
	if _, err := s.GetMany(ctx, []store.Key{k}); !errors.Is(err, store.ErrThrottled) {
		t.Errorf("GetMany always throttled: %v", err)
	}
	var many []store.Key
	for i := range 250 {
		many = append(many, store.Key{Partition: "t", Sort: strconv.Itoa(i)})
	}
	if items, err := d.GetMany(ctx, many); !errors.Is(err, store.ErrThrottled) || items != nil {
		t.Errorf("GetMany of 3 chunks, always throttled: %d items, %v", len(items), err)
	}
	err = s.WriteMany(ctx, []store.Write{store.PutOp(&store.Item{Key: k}), store.UpdateOp(k, []store.FieldOp{store.Set("a", 1)})})
	var be *store.BatchError
	if !errors.As(err, &be) || !errors.Is(be.Errs[0], store.ErrThrottled) || !errors.Is(be.Errs[1], store.ErrThrottled) {
		t.Errorf("WriteMany always throttled: %v", err)
	}
	if err := s.Atomic(ctx, []store.Write{store.PutOp(&store.Item{Key: k})}); !errors.Is(err, store.ErrThrottled) {
		t.Errorf("Atomic always throttled: %v", err)
	}
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		if op == "TransactWriteItems" {
			return 400, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled","CancellationReasons":[{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}`), nil
		}
		return send(body)
	})
	err = d.Atomic(ctx, []store.Write{store.PutOp(&store.Item{Key: k}), store.PutOp(&store.Item{Key: store.Key{Partition: "t", Sort: "y"}})}, time.Now())
	if !errors.Is(err, store.ErrThrottled) {
		t.Errorf("Atomic cancelled by a transaction conflict: %v, want ErrThrottled", err)
	}
}

// TestAuthErrors checks that refused credentials and permissions, which
// DynamoDB reports as client faults, are ErrUnavailable naming the cause
// (the handler answers 503, not a 400 that blames the caller), with the
// SDK error still reachable.
func TestAuthErrors(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d, store.WithRetry(1, time.Millisecond, time.Millisecond))
	k := store.Key{Partition: "auth", Sort: "x"}
	for _, tc := range []struct{ typ, msg, want string }{
		{"com.amazon.coral.service#UnrecognizedClientException", "The security token included in the request is invalid.", "refused the credentials"},
		{"com.amazon.coral.service#ExpiredTokenException", "The security token included in the request is expired", "refused the credentials"},
		{"com.amazon.coral.service#InvalidSignatureException", "The request signature we calculated does not match the signature you provided.", "refused the credentials"},
		{"com.amazon.coral.service#MissingAuthenticationTokenException", "Request is missing Authentication Token", "refused the credentials"},
		{"com.amazon.coral.service#AccessDeniedException", "User: arn:aws:iam::1:user/u is not authorized to perform: dynamodb:PutItem", "denied access"},
		{"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "Requested resource not found", "table does not exist"},
	} {
		code := tc.typ[strings.IndexByte(tc.typ, '#')+1:]
		ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
			return http.StatusBadRequest, mustJSON(t, map[string]string{"__type": tc.typ, "message": tc.msg}), nil
		})
		for op, call := range map[string]func() error{
			"Get":   func() error { _, err := s.Get(ctx, k); return err },
			"Put":   func() error { _, err := s.Put(ctx, &store.Item{Key: k}); return err },
			"Query": func() error { _, err := s.Query(ctx, store.Query{Partition: "auth"}); return err },
		} {
			err := call()
			if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrInvalidArgument) {
				t.Errorf("%s answered %s: %v; want ErrUnavailable", op, code, err)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, code) {
				t.Errorf("%s answered %s: %q; want it to say %q and name %s", op, code, msg, tc.want, code)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != code {
				t.Errorf("%s answered %s: the SDK error is not reachable: %#v", op, code, err)
			}
		}
	}
}

// TestConditionErrors checks the kinds of failed conditions, single and
// in a transaction, and that the SDK error stays reachable.
func TestConditionErrors(t *testing.T) {
	s := driver.NewStore(newDriver(t))
	rev := put(t, s, "c", "a", map[string]any{"n": 1})
	put(t, s, "c", "b", nil)
	k := store.Key{Partition: "c", Sort: "a"}
	_, err := s.Put(ctx, &store.Item{Key: k}, store.IfNotExists())
	var ccf *types.ConditionalCheckFailedException
	if !errors.Is(err, store.ErrAlreadyExists) || !errors.As(err, &ccf) {
		t.Errorf("IfNotExists on an existing item: %v", err)
	}
	if _, err := s.Update(ctx, store.Key{Partition: "c", Sort: "zz"}, []store.FieldOp{store.Set("a", 1)}, store.IfRevision(rev)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Update IfRevision of a missing item: %v, want ErrNotFound", err)
	}
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Set("a", 1)}, store.IfRevision("nope")); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("Update with a stale revision: %v, want ErrRevisionMismatch", err)
	}
	err = s.Atomic(ctx, []store.Write{
		store.UpdateOp(k, []store.FieldOp{store.Increment("n", 1)}),
		store.DeleteOp(store.Key{Partition: "c", Sort: "b"}),
		store.PutOp(&store.Item{Key: store.Key{Partition: "c", Sort: "b2"}}),
		store.UpdateOp(store.Key{Partition: "c", Sort: "missing"}, []store.FieldOp{store.Set("a", 1)}),
	})
	var oe *store.OpError
	if !errors.As(err, &oe) || oe.Index != 3 || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Atomic with a missing item at index 3: %v", err)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["n"] != int64(1) || it.Revision != rev {
		t.Errorf("after the failed Atomic: %+v, %v (nothing may change)", it, err)
	}
	err = s.Atomic(ctx, []store.Write{
		store.UpdateOp(k, []store.FieldOp{store.Increment("n", 1)}),
		store.UpdateOp(store.Key{Partition: "c", Sort: "b"}, []store.FieldOp{store.Set("nope.x", 1)}),
	})
	if !errors.As(err, &oe) || oe.Index != 1 || !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Atomic with Set under a missing parent at index 1: %v", err)
	}
	err = s.Atomic(ctx, []store.Write{
		store.PutOp(&store.Item{Key: store.Key{Partition: "c", Sort: "b3"}}, store.IfNotExists()),
		store.PutOp(&store.Item{Key: k}, store.IfNotExists()),
	})
	if !errors.As(err, &oe) || oe.Index != 1 || !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("Atomic with an existing item at index 1: %v", err)
	}
}

// TestNestedRemove covers the one Update DynamoDB refuses but the store
// contract allows: removing a field below a missing parent.
func TestNestedRemove(t *testing.T) {
	s := driver.NewStore(newDriver(t))
	put(t, s, "n", "", map[string]any{"a": map[string]any{"b": 1, "c": 2}, "s": "x"})
	k := store.Key{Partition: "n"}
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Remove("a.b"), store.Remove("x.y"), store.Remove("s.t"), store.Set("z", true)}); err != nil {
		t.Fatal(err)
	}
	it, err := s.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(it.Data) != "map[a:map[c:2] s:x z:true]" {
		t.Errorf("after the update: %v", it.Data)
	}
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Remove("x.y"), store.Set("q.r", 1)}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Set below a missing parent: %v, want ErrInvalidArgument", err)
	}
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Increment("s", 1)}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Increment of a string: %v, want ErrInvalidArgument", err)
	}
}

// TestCompressedItems covers items stored with compressed data (those
// DynamoDB would count above compressAbove): they round-trip, Query
// filters them, and Update applies to them by read and conditional write.
func TestCompressedItems(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d)
	big := strings.Repeat("abc", 135000)
	k := store.Key{Partition: "z", Sort: "big"}
	rev := put(t, s, "z", "big", map[string]any{"s": big, "n": 1, "tag": "x", "f": 1.5, "m": map[string]any{"l": []any{nil, true}}})
	put(t, s, "z", "small", map[string]any{"tag": "x"})
	put(t, s, "z", "other", map[string]any{"s": big, "tag": "y"})
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.table, Key: keyAttrs(k)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Item[attrData].(*types.AttributeValueMemberB); !ok {
		t.Fatalf("a %d-byte item is stored as %T, not compressed", len(big), out.Item[attrData])
	}
	it, err := s.Get(ctx, k)
	if err != nil || it.Revision != rev || it.Data["s"] != big || it.Data["n"] != int64(1) || it.Data["f"] != 1.5 || fmt.Sprint(it.Data["m"]) != "map[l:[<nil> true]]" {
		t.Fatalf("Get of a compressed item: %v", err)
	}
	page, err := s.Query(ctx, store.Query{Partition: "z", Filters: []store.Filter{store.Equal("tag", "x")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(keysOf(page.Items)); got != "[big small]" {
		t.Errorf("Query tag=x: %s, want [big small]", got)
	}
	ft.reset()
	rev2, err := s.Update(ctx, k, []store.FieldOp{store.Increment("n", 2), store.Remove("m.l")}, store.IfRevision(rev))
	if err != nil {
		t.Fatal(err)
	}
	if n := ft.count(""); n != 2 {
		t.Errorf("Update of a compressed item: %d requests, want 2 (the refused UpdateItem returns the item; a PutItem writes it)", n)
	}
	it, err = s.Get(ctx, k)
	if err != nil || it.Revision != rev2 || it.Data["n"] != int64(3) || fmt.Sprint(it.Data["m"]) != "map[]" || it.Data["s"] != big {
		t.Errorf("after Update: %v %v", it, err)
	}
	// In a transaction, the update becomes a put under the revision read.
	err = s.Atomic(ctx, []store.Write{
		store.UpdateOp(k, []store.FieldOp{store.Increment("n", 10)}, store.IfRevision(rev2)),
		store.PutOp(&store.Item{Key: store.Key{Partition: "z", Sort: "new"}}, store.IfNotExists()),
	})
	if err != nil {
		t.Fatalf("Atomic with an update of a compressed item: %v", err)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["n"] != int64(13) || it.Data["s"] != big {
		t.Errorf("after Atomic: %v", err)
	}
	err = s.Atomic(ctx, []store.Write{
		store.PutOp(&store.Item{Key: store.Key{Partition: "z", Sort: "new2"}}),
		store.UpdateOp(k, []store.FieldOp{store.Set("s.x", 1)}),
	})
	var oe *store.OpError
	if !errors.As(err, &oe) || oe.Index != 1 || !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Atomic with Set under a string at index 1: %v", err)
	}
	if _, err := s.Get(ctx, store.Key{Partition: "z", Sort: "new2"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a failed Atomic applied a write: %v", err)
	}
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Set("more", big)}); !errors.Is(err, store.ErrTooLarge) {
		t.Errorf("Update past the size limit: %v, want ErrTooLarge", err)
	}
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Increment("s", 1)}, store.IfRevision(rev)); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("Update with an old revision: %v, want ErrRevisionMismatch", err)
	}
}

// TestSizeBound checks the item size the update conditions rely on: after
// many small updates the bound reaches the limit, and Update recomputes
// it exactly instead of refusing.
func TestSizeBound(t *testing.T) {
	d := newDriver(t)
	s := driver.NewStore(d)
	k := store.Key{Partition: "b", Sort: "k"}
	half := strings.Repeat("y", store.MaxItemSize/2-100)
	put(t, s, "b", "k", map[string]any{"a": half})
	// Each Set of b may add its size in the bound, though it replaces b.
	for i := range 3 {
		if _, err := s.Update(ctx, k, []store.FieldOp{store.Set("b", strings.Repeat("z", store.MaxItemSize/4))}); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.table, Key: keyAttrs(k)})
	if err != nil {
		t.Fatal(err)
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		t.Fatal(err)
	}
	z := out.Item[attrSize].(*types.AttributeValueMemberN).Value
	if n, _ := strconv.Atoi(z); n < driver.ItemSize(k, it.Data) || n > store.MaxItemSize {
		t.Errorf("size bound %s; the item is %d bytes and the limit %d", z, driver.ItemSize(k, it.Data), store.MaxItemSize)
	}
}

func keysOf(items []*store.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Key.Sort)
	}
	return out
}

// TestWriteManyOrder checks that writes to one key apply in their order,
// batched or not, while writes to other keys go alongside.
func TestWriteManyOrder(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d)
	k := store.Key{Partition: "o", Sort: "k"}
	var writes []store.Write
	writes = append(writes,
		store.PutOp(&store.Item{Key: k, Data: map[string]any{"v": 1}}),
		store.DeleteOp(k),
		store.PutOp(&store.Item{Key: k, Data: map[string]any{"v": 3}}, store.IfNotExists()),
		store.UpdateOp(k, []store.FieldOp{store.Increment("v", 1)}),
		store.PutOp(&store.Item{Key: k, Data: map[string]any{"v": 0}}, store.IfNotExists()), // fails: k exists
	)
	for i := range 60 {
		writes = append(writes, store.PutOp(&store.Item{Key: store.Key{Partition: "o", Sort: fmt.Sprintf("x%02d", i)}}))
	}
	ft.reset()
	err := s.WriteMany(ctx, writes)
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("WriteMany: %v, want a BatchError for write 4", err)
	}
	for i, e := range be.Errs {
		if (i == 4) != (e != nil) || (i == 4 && !errors.Is(e, store.ErrAlreadyExists)) {
			t.Errorf("write %d: %v", i, e)
		}
	}
	// Round 1: the first write to k with the 60 others (3 batches); then
	// one request for each later write to k.
	if n, b := ft.count(""), ft.count("BatchWriteItem"); n != 7 || b != 4 {
		t.Errorf("%d requests, %d of them BatchWriteItem; want 7 and 4", n, b)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["v"] != int64(4) {
		t.Errorf("after WriteMany: %v, %v; want v=4", it, err)
	}
}

// TestAtomicValidationReason answers a transaction as DynamoDB does when
// it refuses a REMOVE below a missing parent: the update is applied in Go
// and the transaction sent again.
func TestAtomicValidationReason(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d)
	k := store.Key{Partition: "v", Sort: "k"}
	put(t, s, "v", "k", map[string]any{"n": 1})
	var refused atomic.Bool
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		if op == "TransactWriteItems" && !refused.Swap(true) {
			return 400, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled","CancellationReasons":[{"Code":"None"},{"Code":"ValidationError","Message":"The document path provided in the update expression is invalid for update"}]}`), nil
		}
		return send(body)
	})
	err := s.Atomic(ctx, []store.Write{
		store.PutOp(&store.Item{Key: store.Key{Partition: "v", Sort: "other"}}),
		store.UpdateOp(k, []store.FieldOp{store.Remove("a.b"), store.Increment("n", 1)}),
	})
	if err != nil {
		t.Fatalf("Atomic: %v", err)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["n"] != int64(2) {
		t.Errorf("after Atomic: %v, %v", it, err)
	}
	if _, err := s.Get(ctx, store.Key{Partition: "v", Sort: "other"}); err != nil {
		t.Errorf("the other write of the transaction: %v", err)
	}
	// On moto, which accepts the REMOVE, the same transaction applies at once.
	ft.setHook(nil)
	err = s.Atomic(ctx, []store.Write{store.UpdateOp(k, []store.FieldOp{store.Remove("x.y"), store.Increment("n", 1)})})
	if it, gerr := s.Get(ctx, k); err != nil || gerr != nil || it.Data["n"] != int64(3) {
		t.Errorf("Atomic with a REMOVE below a missing parent: %v; then %v, %v", err, it, gerr)
	}
}

// TestAmbiguousConditionalWrite checks that a write which DynamoDB applied
// but answered with a 500 is not sent again, by the SDK (its retries are
// off) or by the store (it retries writes only after throttling, which
// DynamoDB answers without applying them): it fails with ErrUnavailable
// and is applied once. A throttled write is retried by the store.
func TestAmbiguousConditionalWrite(t *testing.T) {
	d, ft := newFakeDriver(t)
	s := driver.NewStore(d, store.WithRetry(3, time.Millisecond, time.Millisecond))
	failFirst := func(target string) {
		done := false
		ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
			if op != target || done {
				return send(body)
			}
			done = true
			if _, _, err := send(body); err != nil {
				return 0, nil, err
			}
			return http.StatusInternalServerError, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`), nil
		})
	}
	k := store.Key{Partition: "amb", Sort: "x"}

	failFirst("PutItem")
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"v": 1}}, store.IfNotExists()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("IfNotExists put applied then answered 500: %v; want ErrUnavailable", err)
	}
	if n := ft.count("PutItem"); n != 1 {
		t.Errorf("%d PutItem requests, want 1", n)
	}
	it, err := s.Get(ctx, k)
	if err != nil || it.Data["v"] != int64(1) {
		t.Fatalf("Get after the ambiguous put: %+v, %v; want it applied", it, err)
	}
	rev := it.Revision

	failFirst("UpdateItem")
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Increment("v", 1)}, store.IfRevision(rev)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("IfRevision update applied then answered 500: %v; want ErrUnavailable", err)
	}
	if n := ft.count("UpdateItem"); n != 1 {
		t.Errorf("%d UpdateItem requests, want 1", n)
	}
	it, err = s.Get(ctx, k)
	if err != nil || it.Data["v"] != int64(2) {
		t.Fatalf("Get: %+v, %v; want v 2 (incremented once)", it, err)
	}

	failFirst("DeleteItem")
	if err := s.Delete(ctx, k, store.IfRevision(it.Revision)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("IfRevision delete applied then answered 500: %v; want ErrUnavailable", err)
	}
	if n := ft.count("DeleteItem"); n != 1 {
		t.Errorf("%d DeleteItem requests, want 1", n)
	}
	if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after the delete: %v", err)
	}
	rev5, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"v": 1}})
	if err != nil {
		t.Fatal(err)
	}
	throttled := false
	ft.setHook(func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error) {
		if op == "DeleteItem" && !throttled {
			throttled = true
			return throttle()
		}
		return send(body)
	})
	if err := s.Delete(ctx, k, store.IfRevision(rev5)); err != nil {
		t.Errorf("IfRevision delete throttled once: %v", err)
	}
	if n := ft.count("DeleteItem"); n != 2 {
		t.Errorf("%d DeleteItem requests, want 2", n)
	}
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"v": 1}}); err != nil {
		t.Fatal(err)
	}

	// A conditional write that really conflicts still fails.
	ft.setHook(nil)
	if _, err := s.Put(ctx, &store.Item{Key: k}, store.IfNotExists()); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("IfNotExists put on an existing item: %v", err)
	}
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Set("a", 1)}, store.IfRevision(rev)); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Errorf("stale update: %v", err)
	}
}
