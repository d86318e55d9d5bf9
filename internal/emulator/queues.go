package emulator

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// MotoSQS is moto's server as the SQS implementation the queue/awssqs
// tests run against (ANYFUNC_SQS_ENDPOINT names a running one). Its
// endpoint is an http:// URL; moto accepts any credentials.
var MotoSQS = Spec{
	Name:     "moto (SQS)",
	EnvVar:   "ANYFUNC_SQS_ENDPOINT",
	Install:  Moto.Install,
	Command:  Moto.Command,
	Endpoint: Moto.Endpoint,
	Ready:    Moto.Ready,
}

// PubSub is Google's Pub/Sub emulator, started through gcloud
// (PUBSUB_EMULATOR_HOST names a running one, as for the SDK). Its endpoint
// is a host:port, the value PUBSUB_EMULATOR_HOST takes.
var PubSub = Spec{
	Name:     "pubsub",
	EnvVar:   "PUBSUB_EMULATOR_HOST",
	Install:  "install the Google Cloud CLI with its pubsub-emulator component (and Java)",
	Command:  gcloudCommand("pubsub-emulator", "beta", "emulators", "pubsub", "start"),
	Endpoint: func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) },
	Ready: func(ctx context.Context, endpoint string) error {
		// The REST gateway answers GET /v1/projects/P/topics once the
		// emulator serves.
		return get(ctx, http.DefaultClient, "http://"+endpoint+"/v1/projects/ready-check/topics", func(b []byte) error {
			if len(b) == 0 || b[0] != '{' {
				return fmt.Errorf("topics list answered %q", b)
			}
			return nil
		})
	},
	// The emulator is a Java program: give it time on a busy machine.
	StartTimeout: 3 * time.Minute,
}

// AzuriteEnv names the queue endpoint of a running Azurite (or Storage
// account) to use instead of starting one, such as
// "http://127.0.0.1:10001/devstoreaccount1".
const AzuriteEnv = "ANYFUNC_AZURITE_QUEUE_ENDPOINT"

// AzuriteAccount and AzuriteKey are Azurite's well-known development
// account and its key.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is Microsoft's Azure Storage emulator serving only queues,
// installed by .ci/setup.d/30-azurite.sh into internal/emulator/azurite
// and kept in memory. Its endpoint is the account's queue service URL,
// http://127.0.0.1:PORT/devstoreaccount1.
var Azurite = Spec{
	Name:    "azurite",
	EnvVar:  AzuriteEnv,
	Install: "run .ci/setup.d/30-azurite.sh (npm ci in internal/emulator/azurite)",
	Command: func(port int) (*exec.Cmd, error) {
		node, err := LookPath("node")
		if err != nil {
			return nil, err
		}
		pkg, err := nodePackage("azurite", "azurite")
		if err != nil {
			return nil, err
		}
		main := filepath.Join(pkg, "dist", "src", "queue", "main.js")
		if _, err := os.Stat(main); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
		}
		cmd := exec.Command(node, main, "--queueHost", "127.0.0.1", "--queuePort", strconv.Itoa(port),
			"--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent")
		// Nothing is written with --inMemoryPersistence; run outside the
		// source tree all the same.
		cmd.Dir = os.TempDir()
		return cmd, nil
	},
	Endpoint: func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/%s", port, AzuriteAccount) },
	Ready: func(ctx context.Context, endpoint string) error {
		// Any HTTP answer (an unauthenticated request is refused) means
		// it serves.
		return get(ctx, http.DefaultClient, endpoint+"?comp=list", nil)
	},
}

// nodePackage finds node_modules/pkg under internal/emulator/dir of the
// module that holds the working directory.
func nodePackage(dir, pkg string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(d, "internal", "emulator", dir, "node_modules", pkg)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w: no internal/emulator/%s/node_modules/%s above %s", ErrNotInstalled, dir, pkg, wd)
		}
		d = parent
	}
}

// MotoSecretsManager is moto's server as the Secrets Manager
// implementation the secrets/awssecrets tests run against
// (ANYFUNC_SECRETSMANAGER_ENDPOINT names a running one). Its endpoint is an
// http:// URL; moto accepts any credentials.
var MotoSecretsManager = Spec{
	Name:     "moto (Secrets Manager)",
	EnvVar:   "ANYFUNC_SECRETSMANAGER_ENDPOINT",
	Install:  Moto.Install,
	Command:  Moto.Command,
	Endpoint: Moto.Endpoint,
	Ready:    Moto.Ready,
}
