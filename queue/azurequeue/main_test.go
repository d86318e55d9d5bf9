package azurequeue_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/anyfunc/anyfunc/internal/deptest"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/queue/azurequeue"
	"github.com/anyfunc/anyfunc/queue/queuetest"
)

var (
	azuriteEndpoint string
	azuriteErr      error
)

func TestMain(m *testing.M) {
	emulator.Main(m, emulator.Azurite, &azuriteEndpoint, &azuriteErr, nil)
}

func needAzurite(t *testing.T) { t.Helper(); emulator.Need(t, emulator.Azurite, azuriteErr) }

func opts(extra ...azurequeue.Option) []azurequeue.Option {
	return append([]azurequeue.Option{
		azurequeue.WithEndpoint(azuriteEndpoint),
		azurequeue.WithSharedKey(emulator.AzuriteAccount, emulator.AzuriteKey),
	}, extra...)
}

var seq atomic.Int64

// newQueue creates a queue on Azurite and deletes it when t ends.
func newQueue(t *testing.T) (name string, svc *azqueue.ServiceClient) {
	t.Helper()
	ctx := context.Background()
	d, err := azurequeue.OpenDriver(ctx, "setup", opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if !d.As(&svc) {
		t.Fatal("As(**azqueue.ServiceClient) = false")
	}
	name = fmt.Sprintf("anyfunc-%d-%d", time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := svc.CreateQueue(ctx, name, nil); err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(func() { _, _ = svc.DeleteQueue(context.Background(), name, nil) })
	return name, svc
}

func TestConformance(t *testing.T) {
	needAzurite(t)
	queuetest.Run(t, queuetest.Harness{New: func(t *testing.T, lease time.Duration) queuetest.Pair {
		name, svc := newQueue(t)
		d, err := azurequeue.OpenDriver(context.Background(), name, opts(azurequeue.WithVisibilityTimeout(lease))...)
		if err != nil {
			t.Fatal(err)
		}
		return queuetest.Pair{Queue: d, Subscription: d, Delete: func(ctx context.Context) error {
			_, err := svc.DeleteQueue(ctx, name, nil)
			return err
		}}
	}})
}

// counter is an http.Client that counts requests by method and kind.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) Do(r *http.Request) (*http.Response, error) {
	kind := r.Method + " " + r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	if strings.HasSuffix(r.URL.Path, "/messages") {
		kind = r.Method + " messages"
	} else if strings.Contains(r.URL.Path, "/messages/") {
		kind = r.Method + " messages/ID"
	}
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[kind]++
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

// TestDependencyIsolation checks that a program importing only this
// backend links no other cloud's SDK.
func TestDependencyIsolation(t *testing.T) {
	deptest.Forbid(t, "queue/azurequeue", 10, "cloud.google.com/", "google.golang.org/grpc", "github.com/GoogleCloudPlatform/", "github.com/aws/")
}
