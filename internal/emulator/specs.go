package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Moto is moto's server, the DynamoDB implementation the tests run
// against (ANYFUNC_DYNAMODB_ENDPOINT names a running one). Its endpoint is
// an http:// URL; moto accepts any credentials.
var Moto = Spec{
	Name:    "moto",
	EnvVar:  "ANYFUNC_DYNAMODB_ENDPOINT",
	Install: `install it with pip install "moto[server]" (it provides moto_server)`,
	Command: func(port int) (*exec.Cmd, error) {
		p, err := LookPath("moto_server")
		if err != nil {
			return nil, err
		}
		return exec.Command(p, "-H", "127.0.0.1", "-p", strconv.Itoa(port)), nil
	},
	Endpoint: func(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) },
	Ready: func(ctx context.Context, endpoint string) error {
		return get(ctx, http.DefaultClient, endpoint+"/moto-api/", nil)
	},
}

// Firestore is Google's Firestore emulator, started through gcloud
// (FIRESTORE_EMULATOR_HOST names a running one, as for the SDK). Its
// endpoint is a host:port, the value FIRESTORE_EMULATOR_HOST takes.
var Firestore = Spec{
	Name:     "firestore",
	EnvVar:   "FIRESTORE_EMULATOR_HOST",
	Install:  "install the Google Cloud CLI with its cloud-firestore-emulator component (and Java)",
	Command:  gcloudCommand("cloud-firestore-emulator", "emulators", "firestore", "start"),
	Endpoint: func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) },
	Ready: func(ctx context.Context, endpoint string) error {
		return get(ctx, http.DefaultClient, "http://"+endpoint+"/", func(b []byte) error {
			if strings.TrimSpace(string(b)) != "Ok" {
				return fmt.Errorf("GET / answered %q", b)
			}
			return nil
		})
	},
	// The emulator is a Java program: give it time on a busy machine.
	StartTimeout: 3 * time.Minute,
}

// CosmosDBServerEnv names the endpoint of a running cosmosdb-server (or
// other Cosmos DB) to use instead of starting one; CosmosDBServerCertEnv
// names the PEM file of its certificate.
const (
	CosmosDBServerEnv     = "ANYFUNC_COSMOS_ENDPOINT"
	CosmosDBServerCertEnv = "ANYFUNC_COSMOS_CERT"
)

// CosmosDBServer is @vercel/cosmosdb-server, the Cosmos DB implementation
// the tests run against, installed by .ci/setup.d/20-cosmosdb-server.sh
// into internal/emulator/cosmosdb-server. Its endpoint is an https:// URL
// served with the self-signed certificate in CosmosDBServerCert.
var CosmosDBServer = Spec{
	Name:    "cosmosdb-server",
	EnvVar:  CosmosDBServerEnv,
	Install: "run .ci/setup.d/20-cosmosdb-server.sh (npm ci in internal/emulator/cosmosdb-server)",
	Command: func(port int) (*exec.Cmd, error) {
		node, err := LookPath("node")
		if err != nil {
			return nil, err
		}
		pkg, err := cosmosDBServerPackage()
		if err != nil {
			return nil, err
		}
		cli := filepath.Join(pkg, "lib", "cli.js")
		if _, err := os.Stat(cli); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
		}
		return exec.Command(node, cli, "-p", strconv.Itoa(port), "--host", "127.0.0.1"), nil
	},
	Endpoint: func(port int) string { return fmt.Sprintf("https://127.0.0.1:%d/", port) },
	Ready: func(ctx context.Context, endpoint string) error {
		// Ready once an HTTPS request is answered with the pinned
		// certificate, whatever the status.
		_, der, err := CosmosDBServerCert()
		if err != nil {
			return err
		}
		tr := &http.Transport{TLSClientConfig: pinned(der)}
		defer tr.CloseIdleConnections()
		return get(ctx, &http.Client{Transport: tr}, endpoint, nil)
	},
}

// CosmosDBServerCert returns the path and the DER bytes of the certificate
// cosmosdb-server serves (CosmosDBServerCertEnv, or the one shipped in its
// package). A missing file is an error wrapping ErrNotInstalled.
func CosmosDBServerCert() (path string, der []byte, err error) {
	path = os.Getenv(CosmosDBServerCertEnv)
	if path == "" {
		pkg, err := cosmosDBServerPackage()
		if err != nil {
			return "", nil, err
		}
		path = filepath.Join(pkg, "cert.pem")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("%w: certificate: %v", ErrNotInstalled, err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", nil, fmt.Errorf("emulator: %s holds no PEM certificate", path)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return "", nil, fmt.Errorf("emulator: %s: %w", path, err)
	}
	return path, block.Bytes, nil
}

// cosmosDBServerPackage is node_modules/@vercel/cosmosdb-server under
// internal/emulator/cosmosdb-server of the module that holds the working
// directory.
func cosmosDBServerPackage() (string, error) {
	return nodePackage("cosmosdb-server", "@vercel/cosmosdb-server")
}

// gcloudCommand returns a Spec.Command running "gcloud args...
// --host-port=127.0.0.1:PORT", after checking that gcloud, Java and the
// gcloud component are installed (gcloud would try to download a missing
// component).
func gcloudCommand(component string, args ...string) func(port int) (*exec.Cmd, error) {
	return func(port int) (*exec.Cmd, error) {
		gcloud, err := LookPath("gcloud")
		if err != nil {
			return nil, err
		}
		if _, err := LookPath("java"); err != nil {
			return nil, err
		}
		if real, err := filepath.EvalSymlinks(gcloud); err == nil {
			root := filepath.Dir(filepath.Dir(real))
			if _, err := os.Stat(filepath.Join(root, "platform", component)); err != nil {
				return nil, fmt.Errorf("%w: the %s component is not in %s", ErrNotInstalled, component, root)
			}
		}
		return exec.Command(gcloud, append(append([]string(nil), args...), fmt.Sprintf("--host-port=127.0.0.1:%d", port))...), nil
	}
}

// pinned trusts exactly the certificate der, whatever its names and dates.
func pinned(der []byte) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // verified by VerifyPeerCertificate
		MinVersion:         tls.VersionTLS12,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) > 0 && bytes.Equal(raw[0], der) {
				return nil
			}
			return errors.New("emulator: the server's certificate is not the pinned one")
		},
	}
}

// get sends GET url and, when check is not nil, checks the start of the
// body; any HTTP answer is otherwise a success.
func get(ctx context.Context, c *http.Client, url string, check func([]byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if check != nil {
		return check(b)
	}
	return nil
}
