package awsdynamodb

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/anyfunc/anyfunc/store"
)

// throttlingTransport answers every request as DynamoDB does when it
// throttles, and counts them. No server is involved.
type throttlingTransport struct{ n atomic.Int64 }

func (tt *throttlingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tt.n.Add(1)
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	_, body, _ := throttle()
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	return &http.Response{StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Header: h,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// TestOneRetryLayer counts the HTTP requests one throttled Get costs: the
// store's attempts, one request each, whatever client the store runs on.
// With the SDK's retryer under the store's, it was attempts × 3 (15 with
// the defaults).
func TestOneRetryLayer(t *testing.T) {
	ctx := context.Background()
	base := []Option{WithEndpoint("http://127.0.0.1:9"), WithRegion("us-east-1"),
		WithCredentials(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")),
		WithStoreOptions(store.WithRetry(5, time.Millisecond, time.Millisecond))}

	t.Run("client built by Open", func(t *testing.T) {
		tt := &throttlingTransport{}
		s, err := Open(ctx, "todos", append(base, WithHTTPClient(&http.Client{Transport: tt}))...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Get(ctx, store.Key{Partition: "p", Sort: "s"})
		if !errors.Is(err, store.ErrThrottled) {
			t.Fatalf("Get: %v, want ErrThrottled", err)
		}
		if n := tt.n.Load(); n != 5 {
			t.Errorf("one throttled Get sent %d requests, want 5 (the store's attempts)", n)
		}
	})
	t.Run("client with the SDK's retryer, given with WithClient", func(t *testing.T) {
		tt := &throttlingTransport{}
		c := dynamodb.New(dynamodb.Options{
			Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:9"),
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			HTTPClient:  &http.Client{Transport: tt},
			Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			}),
		})
		s, err := Open(ctx, "todos", append(base, WithClient(c))...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, store.Key{Partition: "p", Sort: "s"}); !errors.Is(err, store.ErrThrottled) {
			t.Fatalf("Get: %v, want ErrThrottled", err)
		}
		if n := tt.n.Load(); n != 5 {
			t.Errorf("one throttled Get sent %d requests, want 5 (the store's attempts, the SDK's retryer off)", n)
		}
	})
}
