package azurecosmos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/storetest"
)

var (
	spec      = emulator.CosmosDBServer
	endpoint  string
	launchErr error
	certPEM   []byte // the server's certificate
	certDER   []byte
)

func loadCert() error {
	path, der, err := emulator.CosmosDBServerCert()
	if err != nil {
		return err
	}
	if certPEM, err = os.ReadFile(path); err != nil {
		return fmt.Errorf("%w: %v", emulator.ErrNotInstalled, err)
	}
	certDER = der
	return nil
}

func TestMain(m *testing.M) {
	launchErr = loadCert()
	stop := func() {}
	if launchErr == nil {
		endpoint, stop, launchErr = emulator.Launch(spec)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// countingTransport counts the requests it sends, by path kind.
type countingTransport struct {
	base http.RoundTripper
	docs atomic.Int64 // requests on items (.../docs...)
	// inject, when set, answers instead of the server.
	inject func(*http.Request) *http.Response
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/docs") {
		c.docs.Add(1)
		if c.inject != nil {
			if resp := c.inject(r); resp != nil {
				return resp, nil
			}
		}
	}
	return c.base.RoundTrip(r)
}

// testHTTPClient trusts the server's certificate by pinning it, and
// wraps the transport with ct.
func testHTTPClient(ct *countingTransport) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = pinnedTLS(certDER)
	ct.base = t
	return &http.Client{Transport: ct}
}

var containerSeq atomic.Int64

// newTestDriver returns a driver on a fresh container; extra options are
// applied last.
func newTestDriver(t testing.TB, extra ...Option) *cosmosDriver {
	t.Helper()
	emulator.Need(t, spec, launchErr)
	name := fmt.Sprintf("c%d_%d", os.Getpid(), containerSeq.Add(1))
	opts := append([]Option{
		WithEndpoint(endpoint),
		WithKey(EmulatorKey),
		WithTrustedCertificate(certPEM),
		WithDatabase("anyfunc"),
		WithEnsureContainer(),
		WithCosmosDBServer(),
	}, extra...)
	d, err := openTestDriver(context.Background(), name, opts...)
	if err != nil {
		t.Fatalf("OpenDriver: %v", err)
	}
	t.Cleanup(func() { _, _ = d.c.Delete(context.Background(), nil) })
	return d
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) driver.Driver { return newTestDriver(t) })
}

// openTestDriver is OpenDriver returning the concrete driver, whose
// container client tests use.
func openTestDriver(ctx context.Context, container string, opts ...Option) (*cosmosDriver, error) {
	o, err := collect(container, opts)
	if err != nil {
		return nil, err
	}
	return openDriver(ctx, container, o)
}
