package azurecosmos

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/storetest"
)

// EndpointEnv names the endpoint of a running cosmosdb-server (or other
// Cosmos DB) to test against instead of starting one; CertEnv names the
// PEM file of its certificate (by default cosmosdb-server's own).
const (
	EndpointEnv = "ANYFUNC_COSMOS_ENDPOINT"
	CertEnv     = "ANYFUNC_COSMOS_CERT"
)

var (
	endpoint  string
	launchErr error
	certPEM   []byte
)

// serverDir is internal/emulator/cosmosdb-server, where package.json pins
// @vercel/cosmosdb-server.
func serverDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "internal", "emulator", "cosmosdb-server"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func serverPackage() string {
	dir, err := serverDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "node_modules", "@vercel", "cosmosdb-server")
}

var spec = emulator.Spec{
	Name:    "cosmosdb-server",
	EnvVar:  EndpointEnv,
	Install: "run .ci/setup.d/20-cosmosdb-server.sh (npm ci in internal/emulator/cosmosdb-server)",
	Command: func(port int) (*exec.Cmd, error) {
		node, err := emulator.LookPath("node")
		if err != nil {
			return nil, err
		}
		cli := filepath.Join(serverPackage(), "lib", "cli.js")
		if _, err := os.Stat(cli); err != nil {
			return nil, fmt.Errorf("%w: %v", emulator.ErrNotInstalled, err)
		}
		return exec.Command(node, cli, "-p", strconv.Itoa(port), "--host", "127.0.0.1"), nil
	},
	Endpoint: func(port int) string { return fmt.Sprintf("https://127.0.0.1:%d/", port) },
	Ready: func(ctx context.Context, endpoint string) error {
		// Ready once an HTTPS request is answered, whatever the status.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return err
		}
		resp, err := testHTTPClient(nil).Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	},
}

func loadCert() ([]byte, error) {
	path := os.Getenv(CertEnv)
	if path == "" {
		path = filepath.Join(serverPackage(), "cert.pem")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", emulator.ErrNotInstalled, err)
	}
	return b, nil
}

func TestMain(m *testing.M) {
	certPEM, launchErr = loadCert()
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
	if containsDocs(r.URL.Path) {
		c.docs.Add(1)
		if c.inject != nil {
			if resp := c.inject(r); resp != nil {
				return resp, nil
			}
		}
	}
	return c.base.RoundTrip(r)
}

func containsDocs(p string) bool {
	for i := 0; i+5 <= len(p); i++ {
		if p[i:i+5] == "/docs" {
			return true
		}
	}
	return false
}

// testHTTPClient trusts the server's certificate by pinning it, and
// wraps the transport with ct when it is not nil.
func testHTTPClient(ct *countingTransport) *http.Client {
	var tr http.RoundTripper
	if cert, err := loadCert(); err == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		der := mustDER(cert)
		t.TLSClientConfig = pinnedTLS(der)
		tr = t
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		tr = t
	}
	if ct != nil {
		ct.base = tr
		tr = ct
	}
	return &http.Client{Transport: tr}
}

func mustDER(pemBytes []byte) []byte {
	var o options
	WithTrustedCertificate(pemBytes)(&o)
	if o.certErr != nil {
		panic(o.certErr)
	}
	return o.trustedCert
}

var containerSeq atomic.Int64

// newTestDriver returns a driver on a fresh container; extra options are
// applied last.
func newTestDriver(t testing.TB, extra ...Option) *Driver {
	t.Helper()
	emulator.Need(t, spec, launchErr)
	name := fmt.Sprintf("c%d_%d", os.Getpid(), containerSeq.Add(1))
	opts := append([]Option{
		WithEndpoint(endpoint),
		WithKey(EmulatorKey),
		WithTrustedCertificate(certPEM),
		WithDatabase("anyfunc"),
		WithContainer(name),
		WithEnsureContainer(),
		WithCosmosDBServer(),
	}, extra...)
	d, err := OpenDriver(context.Background(), opts...)
	if err != nil {
		t.Fatalf("OpenDriver: %v", err)
	}
	t.Cleanup(func() { _, _ = d.c.Delete(context.Background(), nil) })
	return d
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Driver { return newTestDriver(t) })
}
