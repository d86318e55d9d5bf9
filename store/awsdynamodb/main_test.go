package awsdynamodb

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/anyfunc/anyfunc/internal/emulator"
)

// motoSpec launches moto's server, the DynamoDB implementation the tests
// run against.
var motoSpec = emulator.Moto

var (
	motoEndpoint string
	motoErr      error
)

func TestMain(m *testing.M) {
	emulator.Main(m, motoSpec, &motoEndpoint, &motoErr, func(endpoint string) (string, func(), error) {
		proxy, err := serialize(endpoint)
		if err != nil {
			return "", nil, err
		}
		return proxy.URL, proxy.Close, nil
	})
}

// serialize returns a proxy that sends moto one request at a time.
//
// moto evaluates a ConditionExpression and then applies the write with no
// lock held (nothing in moto/dynamodb/models takes one, and moto_server
// serves requests on threads), so two concurrent conditional writes to one
// item can both succeed, and a cancelled TransactWriteItems restores
// deep copies of whole tables over writes made meanwhile. DynamoDB applies
// each request to an item atomically; serving one request at a time gives
// that guarantee back, so the race tests of storetest test the driver, not
// moto's threads. Clients still send concurrently.
func serialize(endpoint string) (*httptest.Server, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("moto endpoint %q: %w", endpoint, err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		rp.ServeHTTP(w, r)
	})), nil
}

// needMoto skips or fails t when moto is not running.
func needMoto(t testing.TB) {
	t.Helper()
	emulator.Need(t, motoSpec, motoErr)
}

// testCreds are the static dummy credentials moto accepts.
var testCreds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// TestingOptions returns the options that reach moto with dummy
// credentials.
func TestingOptions() []Option {
	return []Option{WithEndpoint(motoEndpoint), WithRegion("us-east-1"), WithCredentials(testCreds)}
}

var tableSeq atomic.Int64

// newTable creates a fresh table and returns its name.
func newTable(t testing.TB, opts ...Option) string {
	t.Helper()
	needMoto(t)
	name := fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e9, tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := EnsureTable(ctx, name, append(TestingOptions(), opts...)...); err != nil {
		t.Fatal(err)
	}
	return name
}

// newDriver returns a driver on a fresh table; opts come after the
// options that reach moto.
func newDriver(t testing.TB, opts ...Option) *dynamoDriver {
	t.Helper()
	name := newTable(t)
	d, err := openDriver(context.Background(), name, append(TestingOptions(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
