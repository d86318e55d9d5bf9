package awssqs_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/awssqs"
)

// fakeSQS answers SQS's JSON protocol with the answers the test scripts,
// one per request, recording the entries of each SendMessageBatch.
type fakeSQS struct {
	mu      sync.Mutex
	answers []func(entries []map[string]any) (int, any)
	batches [][]string // bodies of each SendMessageBatch
}

func (f *fakeSQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var in struct {
		QueueUrl string
		Entries  []map[string]any
	}
	_ = json.Unmarshal(b, &in)
	f.mu.Lock()
	var bodies []string
	for _, e := range in.Entries {
		bodies = append(bodies, fmt.Sprint(e["MessageBody"]))
	}
	f.batches = append(f.batches, bodies)
	answer := f.answers[0]
	if len(f.answers) > 1 {
		f.answers = f.answers[1:]
	}
	f.mu.Unlock()
	status, out := answer(in.Entries)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

func fakeQueue(t *testing.T, f *fakeSQS) *queue.Queue {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	q, err := awssqs.Open(context.Background(), srv.URL+"/123456789012/jobs",
		awssqs.WithRegion("us-east-1"), awssqs.WithEndpoint(srv.URL),
		awssqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", "")),
		awssqs.WithQueueOptions(queue.WithRetry(3, time.Millisecond, time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func ok(entries []map[string]any) (int, any) {
	var succ []map[string]any
	for _, e := range entries {
		succ = append(succ, map[string]any{"Id": e["Id"], "MessageId": "id-" + fmt.Sprint(e["MessageBody"]), "MD5OfMessageBody": md5hex(fmt.Sprint(e["MessageBody"]))})
	}
	return 200, map[string]any{"Successful": succ, "Failed": []any{}}
}

// TestPartialBatchFailures: SQS fails entries of a batch on their own.
// The retryable one (a server fault) is sent again, alone; the sender's
// fault is reported at its index; the others are sent once.
func TestPartialBatchFailures(t *testing.T) {
	f := &fakeSQS{answers: []func([]map[string]any) (int, any){
		func(entries []map[string]any) (int, any) {
			return 200, map[string]any{
				"Successful": []any{map[string]any{"Id": "0", "MessageId": "id-a", "MD5OfMessageBody": md5hex("a")}, map[string]any{"Id": "3", "MessageId": "id-d", "MD5OfMessageBody": md5hex("d")}},
				"Failed": []any{
					map[string]any{"Id": "1", "Code": "InternalError", "Message": "try again", "SenderFault": false},
					map[string]any{"Id": "2", "Code": "InvalidParameterValue", "Message": "no", "SenderFault": true},
				},
			}
		},
		ok,
	}}
	q := fakeQueue(t, f)
	ids, err := q.Send(context.Background(), &queue.Message{Body: []byte("a")}, &queue.Message{Body: []byte("b")}, &queue.Message{Body: []byte("c")}, &queue.Message{Body: []byte("d")})
	var be *queue.BatchError
	if !errors.As(err, &be) || be.Errs[0] != nil || be.Errs[1] != nil || be.Errs[3] != nil || !errors.Is(be.Errs[2], queue.ErrInvalidArgument) {
		t.Fatalf("Send = %v; want only message 2 refused, as an invalid argument", err)
	}
	if fmt.Sprint(ids) != "[id-a id-b  id-d]" {
		t.Errorf("ids %q", ids)
	}
	if fmt.Sprint(f.batches) != "[[a b c d] [b]]" {
		t.Errorf("requests %q; want the batch, then the retryable entry alone", f.batches)
	}
}

// TestThrottlingRetriedInOneLayer: a throttled request is retried by the
// portable layer only (the SDK's retryer is off), and a throttling that
// lasts is reported as ErrThrottled with the SDK's error reachable.
func TestThrottlingRetriedInOneLayer(t *testing.T) {
	throttled := func([]map[string]any) (int, any) {
		return 400, map[string]any{"__type": "com.amazonaws.sqs#RequestThrottled", "message": "slow down"}
	}
	f := &fakeSQS{answers: []func([]map[string]any) (int, any){throttled, ok}}
	q := fakeQueue(t, f)
	if _, err := q.Send(context.Background(), &queue.Message{Body: []byte("a")}); err != nil {
		t.Fatalf("Send = %v; want it sent on the second request", err)
	}
	if len(f.batches) != 2 {
		t.Errorf("%d requests; want 2 (one throttled, one retry)", len(f.batches))
	}

	f = &fakeSQS{answers: []func([]map[string]any) (int, any){throttled}}
	q = fakeQueue(t, f)
	_, err := q.Send(context.Background(), &queue.Message{Body: []byte("a")})
	if !errors.Is(err, queue.ErrThrottled) {
		t.Fatalf("Send = %v; want ErrThrottled", err)
	}
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "RequestThrottled" {
		t.Errorf("native error not reachable: %v", err)
	}
	if len(f.batches) != 3 {
		t.Errorf("%d requests; want 3: the portable layer's 3 attempts, none from the SDK", len(f.batches))
	}
}
