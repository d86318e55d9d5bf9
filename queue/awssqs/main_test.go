package awssqs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/queue/awssqs"
	"github.com/anyfunc/anyfunc/queue/queuetest"
)

var (
	motoEndpoint string
	motoErr      error
)

func TestMain(m *testing.M) {
	emulator.Main(m, emulator.MotoSQS, &motoEndpoint, &motoErr, func(endpoint string) (string, func(), error) {
		proxy, err := serialize(endpoint)
		if err != nil {
			return "", nil, err
		}
		return proxy.URL, proxy.Close, nil
	})
}

// serialize returns a proxy that lets moto serve one request at a time.
//
// moto's SQS receive_message scans the queue and marks messages received
// with no lock held, and moto_server serves requests on threads, so two
// concurrent ReceiveMessage calls can both take the same message; SQS
// leases each message to one receiver. Serving one request at a time
// gives that guarantee back, so that the concurrency tests of queuetest
// test the driver, not moto's threads. A long poll (WaitTimeSeconds > 0)
// is served as SQS serves it, but by the proxy: it asks moto without
// waiting, one request at a time, until a message comes or the wait ends,
// so that a waiting receiver does not hold up the senders.
func serialize(endpoint string) (*httptest.Server, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("moto endpoint %q: %w", endpoint, err)
	}
	var mu sync.Mutex
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var wait time.Duration
		var in map[string]any
		if r.Header.Get("X-Amz-Target") == "AmazonSQS.ReceiveMessage" && json.Unmarshal(body, &in) == nil {
			if s, ok := in["WaitTimeSeconds"].(float64); ok && s > 0 {
				wait = time.Duration(s) * time.Second
				in["WaitTimeSeconds"] = 0
				body, _ = json.Marshal(in)
			}
		}
		end := time.Now().Add(wait)
		for {
			req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String()+r.URL.RequestURI(), bytes.NewReader(body))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			req.Header = r.Header.Clone()
			req.Header.Del("Content-Length")
			mu.Lock()
			resp, err := http.DefaultTransport.RoundTrip(req)
			var out []byte
			if err == nil {
				out, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			mu.Unlock()
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			var got struct{ Messages []json.RawMessage }
			if wait > 0 && resp.StatusCode == http.StatusOK && json.Unmarshal(out, &got) == nil && len(got.Messages) == 0 && time.Now().Before(end) {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
					continue
				}
			}
			for k, vs := range resp.Header {
				if k != "Content-Length" {
					w.Header()[k] = vs
				}
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = w.Write(out)
			return
		}
	})), nil
}

func needMoto(t *testing.T) { t.Helper(); emulator.Need(t, emulator.MotoSQS, motoErr) }

// counter is an http.Client that counts requests by SQS action.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) Do(r *http.Request) (*http.Response, error) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[action]++
	c.mu.Unlock()
	return http.DefaultClient.Do(r)
}

func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	return n
}

func opts(extra ...awssqs.Option) []awssqs.Option {
	return append([]awssqs.Option{
		awssqs.WithRegion("us-east-1"),
		awssqs.WithEndpoint(motoEndpoint),
		awssqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", "")),
	}, extra...)
}

var seq atomic.Int64

// newQueue creates a queue on moto whose visibility timeout is lease, and
// deletes it when t ends.
func newQueue(t *testing.T, lease time.Duration) (name string, client *sqs.Client) {
	t.Helper()
	ctx := context.Background()
	d, err := awssqs.OpenDriver(ctx, "setup", opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if !d.As(&client) {
		t.Fatal("As(**sqs.Client) = false")
	}
	name = fmt.Sprintf("anyfunc-%d-%d", time.Now().UnixNano()%1e9, seq.Add(1))
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"VisibilityTimeout": fmt.Sprint(int(lease / time.Second)),
	}})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(func() {
		_, err := client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
		var nf interface{ ErrorCode() string }
		if err != nil && !(errors.As(err, &nf) && strings.Contains(nf.ErrorCode(), "NonExistentQueue") || strings.Contains(err.Error(), "QueueDoesNotExist")) {
			t.Errorf("DeleteQueue: %v", err)
		}
	})
	return name, client
}

func TestConformance(t *testing.T) {
	needMoto(t)
	queuetest.Run(t, queuetest.Harness{New: func(t *testing.T, lease time.Duration) queuetest.Pair {
		name, client := newQueue(t, lease)
		d, err := awssqs.OpenDriver(context.Background(), name, opts()...)
		if err != nil {
			t.Fatal(err)
		}
		return queuetest.Pair{Queue: d, Subscription: d, Delete: func(ctx context.Context) error {
			out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
			if err != nil {
				return err
			}
			_, err = client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
			return err
		}}
	}})
}
