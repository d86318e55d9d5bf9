package equivalence_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
	"github.com/anyfunc/anyfunc/examples/todo/smoke"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/internal/equivalence"
	"github.com/anyfunc/anyfunc/secrets/awssecrets"
)

// The entry points under test, by the name of the binary go build gives
// them.
const (
	pkgLambda = "github.com/anyfunc/anyfunc/examples/todo/cmd/lambda"
	pkgGCF    = "github.com/anyfunc/anyfunc/examples/todo/cmd/gcf"
	pkgAzure  = "github.com/anyfunc/anyfunc/examples/todo/cmd/azure"
	pkgLocal  = "github.com/anyfunc/anyfunc/examples/todo/cmd/local"
)

// apiKey is the one caller of the scenario, "ann".
const apiKey = "key-ann-0123456789abcdef"

// runID and runSeq keep the tables, collections and containers of
// successive runs (and of -count=N in one process) against one emulator
// apart.
var (
	runID  = strconv.FormatInt(time.Now().UnixNano(), 36)
	runSeq atomic.Int64
)

// build compiles the four entry points for the host in one go build, so
// that the packages they share are compiled once. It uses the default
// build configuration, whose compiled packages go vet and go build have
// usually cached already (deploy/build.sh adds -trimpath and CGO_ENABLED=0
// and cross-compiles). -tags lambda.norpc is read by the Lambda runtime
// only.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-ldflags", "-s -w",
		"-o", dir+string(filepath.Separator), pkgLambda, pkgGCF, pkgAzure, pkgLocal)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, name := range []string{"lambda", "gcf", "azure", "local"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("binary %s: %.1f MB (stripped, host OS/arch)", name, float64(fi.Size())/(1<<20))
	}
	return dir
}

// appEnv is the configuration every runtime gets, besides its store.
// Variables that the environment of the test might hold are set empty.
func appEnv(storeURL string, ensure bool) []string {
	env := []string{
		"TODO_STORE_URL=" + storeURL,
		"TODO_API_KEYS=ann:" + apiKey,
		"TODO_JWT_SECRET=", "TODO_JWKS_URL=", "TODO_CORS_ORIGINS=", "TODO_RATE_LIMIT=",
		"TODO_ENSURE_SCHEMA=",
		// cmd/local's dashboard on a free port, not the fixed default,
		// which another run on this machine may hold.
		"TODO_DASHBOARD=", "TODO_DASHBOARD_AUTH=", "TODO_DASHBOARD_ADDR=127.0.0.1:0",
	}
	if ensure {
		env = append(env, "TODO_ENSURE_SCHEMA=1")
	}
	return env
}

// client sends the scenario's requests to one runtime.
type client struct {
	base string // URL prefix of the API, without a trailing slash
	http *http.Client
}

// basePath returns the path of c.base: the prefix of the API's paths as the
// client sees them.
func (c *client) basePath(t *testing.T) string {
	u, err := url.Parse(c.base)
	if err != nil {
		t.Fatal(err)
	}
	return u.EscapedPath()
}

// stageTransport plays a REST API's execute-api endpoint in front of a
// lambdatest.Transport for V1 events: the client calls /{stage}/..., API
// Gateway takes the stage off the event's path, and lambdatest puts it back
// in requestContext.path. A path outside the stage is refused, as API
// Gateway does (403).
type stageTransport struct {
	stage string
	next  http.RoundTripper
}

func (s stageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	prefix := "/" + s.stage
	rest, ok := strings.CutPrefix(req.URL.EscapedPath(), prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("stageTransport: %s is not under the stage %s", req.URL.Path, prefix)
	}
	if rest == "" {
		rest = "/"
	}
	r := req.Clone(req.Context())
	u, err := url.Parse(rest)
	if err != nil {
		return nil, err
	}
	r.URL.Path, r.URL.RawPath = u.Path, u.RawPath
	return s.next.RoundTrip(r)
}

// serve runs an HTTP server binary (local or gcf) on a free port, as
// emulators are run, ready once GET /healthz answers 200.
func serve(t *testing.T, bin string, env []string) string {
	t.Helper()
	spec := emulator.Spec{
		Name:    filepath.Base(bin),
		Install: "build it first",
		Command: func(port int) (*exec.Cmd, error) {
			cmd := exec.Command(bin)
			cmd.Env = append(append(os.Environ(), env...), "PORT="+strconv.Itoa(port))
			return cmd, nil
		},
		Endpoint: func(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) },
		Ready: func(ctx context.Context, endpoint string) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/healthz", nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET /healthz answered %d", resp.StatusCode)
			}
			return nil
		},
		StartTimeout: time.Minute,
		Attempts:     2,
	}
	endpoint, stop, err := emulator.Launch(spec)
	if err != nil {
		t.Fatalf("starting %s: %v", spec.Name, err)
	}
	t.Cleanup(stop)
	return endpoint
}

// runtime is one way of running the example.
type runtime struct {
	name  string
	start func(t *testing.T, bins string) *client
}

// runtimes returns the cloud runtimes; run names this run's stores.
func runtimes(run string) []runtime {
	var rts []runtime
	for _, shape := range []lambdatest.Shape{lambdatest.V1, lambdatest.V2, lambdatest.ALB} {
		rts = append(rts, runtime{"lambda-" + shape.String() + "/dynamodb", func(t *testing.T, bins string) *client {
			endpoint := moto.need(t)
			table := "todo-eq-" + run + "-" + shape.String()
			// The API key comes from Secrets Manager (moto's), as the SAM
			// template deploys it: TODO_SECRET_ID names the secret and
			// TODO_API_KEYS is empty.
			secretID := createSecret(t, endpoint, table, `{"api_keys":"ann:`+apiKey+`"}`)
			env := append(appEnv("dynamodb://"+table+"?region=us-east-1&endpoint="+endpoint, true),
				"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_SESSION_TOKEN=",
				"AWS_PROFILE=", "AWS_REGION=us-east-1",
				"TODO_API_KEYS=", "TODO_SECRET_ID="+secretID, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+endpoint)
			f := lambdatest.StartFunction(t, filepath.Join(bins, "lambda"), env...)
			invoke := func(ctx context.Context, payload []byte) (*lambdatest.Result, error) {
				return f.Invoke(ctx, payload, lambdatest.InvokeOptions{})
			}
			var rt http.RoundTripper = &lambdatest.Transport{Shape: shape, Invoke: invoke}
			base := "https://abcdefghij.execute-api.us-east-1.amazonaws.com"
			if shape == lambdatest.V1 {
				// A REST API: clients call /{stage}/todos.
				rt = stageTransport{stage: lambdatest.Stage, next: rt}
				base += "/" + lambdatest.Stage
			}
			return &client{base: base, http: &http.Client{Transport: rt}}
		}})
	}
	rts = append(rts, runtime{"gcf/firestore", func(t *testing.T, bins string) *client {
		endpoint := firestore.need(t)
		env := append(appEnv("firestore://anyfunc-equivalence/todos_"+run, true),
			"FIRESTORE_EMULATOR_HOST="+endpoint, "FUNCTION_TARGET=Todo")
		return &client{base: serve(t, filepath.Join(bins, "gcf"), env), http: &http.Client{}}
	}})
	for _, mode := range []azuretest.Mode{azuretest.Payload, azuretest.Proxying} {
		rts = append(rts, runtime{"azure-" + mode.String() + "/cosmos", func(t *testing.T, bins string) *client {
			endpoint := cosmos.need(t)
			cert, _, err := emulator.CosmosDBServerCert()
			if err != nil {
				t.Fatal(err)
			}
			u := "cosmos://local/anyfunc/todos_" + run + "_" + mode.String() + "?endpoint=" + endpoint +
				"&key=emulator&cert_file=" + cert + "&server=cosmosdb-server"
			h, err := azuretest.Start(azuretest.Config{
				Binary: filepath.Join(bins, "azure"), Mode: mode, FunctionTimeout: "00:01:00",
				Env: appEnv(u, true),
			})
			if err != nil {
				t.Fatalf("azure host: %v", err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("host logs: %q", h.Logs())
				}
				h.Close()
			})
			return &client{base: "http://anyfunc-todo.azurewebsites.net/api", http: &http.Client{Transport: h}}
		}})
	}
	return rts
}

// createSecret creates the Secrets Manager secret name holding value on
// moto at endpoint and returns its ARN.
func createSecret(t *testing.T, endpoint, name, value string) string {
	t.Helper()
	g, err := awssecrets.OpenGetter(t.Context(), awssecrets.WithRegion("us-east-1"), awssecrets.WithEndpoint(endpoint),
		awssecrets.WithCredentials(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Client().CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	return aws.ToString(out.ARN)
}

// startLocal starts the reference: the local server on memstore. TODO_ENSURE_SCHEMA
// is not set: memstore has no schema (and mem:// URLs take no parameters).
func startLocal(t *testing.T, bins string) *client {
	return &client{base: serve(t, filepath.Join(bins, "local"), appEnv("mem://todos", false)), http: &http.Client{}}
}

// do sends one request and records its answer under step; it returns the
// answer's header and raw body for the scenario's own checks.
func (c *client) do(t *testing.T, rec *equivalence.Recorder, step, method, path string, body []byte, header ...string) (http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(t, rec, step, path, req, header)
}

// send sets the header pairs on req, sends it and records the answer under
// step with target as the request line's path.
func (c *client) send(t *testing.T, rec *equivalence.Recorder, step, target string, req *http.Request, header []string) (http.Header, []byte) {
	t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the body: %v", step, err)
	}
	rec.Record(step, req.Method, target, resp.StatusCode, resp.Header, b)
	return resp.Header, b
}

// follow sends a GET to location, a path the runtime answered, against the
// origin of c.base, and records the answer under step with the request line
// as Recorder.Target writes it.
func (c *client) follow(t *testing.T, rec *equivalence.Recorder, step, location string, header ...string) {
	t.Helper()
	base, err := url.Parse(c.base)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := url.Parse(location)
	if err != nil || ref.IsAbs() || !strings.HasPrefix(location, "/") {
		t.Fatalf("%s: the Location %q is not an absolute path (%v)", step, location, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.ResolveReference(ref).String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.send(t, rec, step, rec.Target(location), req, header)
}

// idOf returns the id member of a todo body ("" if there is none).
func idOf(body []byte) string {
	var v struct{ ID string }
	json.Unmarshal(body, &v)
	return v.ID
}

// scenario runs the scripted session against c and returns its transcript.
//
// The runtimes' clients reach the API under different prefixes (Azure's
// route prefix "/api", a REST API's stage); the transcript writes each
// runtime's own prefix as "<base>" in Location values, and the scenario
// follows a Location to check that it names the todo on that runtime.
func scenario(t *testing.T, c *client) string {
	rec := equivalence.Recorder{BasePath: c.basePath(t)}
	t.Logf("base path %q", rec.BasePath)
	key := []string{"X-Api-Key", apiKey}
	with := func(extra ...string) []string { return append(append([]string(nil), key...), extra...) }

	c.do(t, &rec, "health", "GET", "/healthz", nil)
	c.do(t, &rec, "no credentials", "GET", "/todos", nil)

	h, b := c.do(t, &rec, "create", "POST", "/todos", []byte(`{"title":"Buy milk","due":"2030-01-02"}`), key...)
	first, firstETag := idOf(b), h.Get("ETag")
	if first == "" {
		t.Fatalf("create answered no id: %s", b)
	}
	if want := rec.BasePath + "/todos/" + first; h.Get("Location") != want {
		t.Errorf("create: Location %q, want %q (the path this runtime's client uses)", h.Get("Location"), want)
	}
	c.follow(t, &rec, "follow Location", h.Get("Location"), key...)

	h1, b1 := c.do(t, &rec, "idempotent create", "POST", "/todos", []byte(`{"title":"Water plants"}`), with("Idempotency-Key", "create-water-1")...)
	h2, b2 := c.do(t, &rec, "idempotent create repeated", "POST", "/todos", []byte(`{"title":"Water plants"}`), with("Idempotency-Key", "create-water-1")...)
	rec.Note("repeat has the same body: %v, ETag: %v, Location: %v",
		bytes.Equal(b1, b2), h1.Get("ETag") == h2.Get("ETag"), h1.Get("Location") == h2.Get("Location"))

	c.do(t, &rec, "create", "POST", "/todos", []byte(`{"title":"Call mum"}`), key...)

	next := ""
	for page := 1; ; page++ {
		path := "/todos?limit=1"
		if next != "" {
			path += "&cursor=" + next
		}
		_, b := c.do(t, &rec, "list page "+strconv.Itoa(page), "GET", path, nil, key...)
		var l struct{ Next *string }
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatalf("list page %d: %v: %s", page, err, b)
		}
		if l.Next == nil {
			break
		}
		if page == 5 {
			t.Fatalf("more than 5 pages of one todo for 3 todos")
		}
		next = *l.Next
	}

	h, _ = c.do(t, &rec, "get", "GET", "/todos/"+first, nil, key...)
	rec.Note("get has the ETag of create: %v", h.Get("ETag") == firstETag)

	h, _ = c.do(t, &rec, "patch", "PATCH", "/todos/"+first, []byte(`{"done":true}`), with("If-Match", firstETag)...)
	rec.Note("patch changed the ETag: %v", h.Get("ETag") != "" && h.Get("ETag") != firstETag)
	c.do(t, &rec, "patch with a stale If-Match", "PATCH", "/todos/"+first, []byte(`{"title":"Buy oat milk"}`), with("If-Match", firstETag)...)

	c.do(t, &rec, "bad JSON", "POST", "/todos", []byte(`{"title": "unterminated`), key...)
	big := []byte(`{"title":"` + strings.Repeat("x", 70<<10) + `"}`)
	c.do(t, &rec, "oversized body", "POST", "/todos", big, key...)

	c.do(t, &rec, "delete", "DELETE", "/todos/"+first, nil, key...)
	c.do(t, &rec, "get after delete", "GET", "/todos/"+first, nil, key...)
	c.do(t, &rec, "delete again", "DELETE", "/todos/"+first, nil, key...)
	c.do(t, &rec, "list after delete", "GET", "/todos", nil, key...)
	return rec.String()
}

// runSmoke runs the synthetic check (examples/todo/smoke, what cmd/smoke
// runs after a deploy) against c's runtime.
func runSmoke(t *testing.T, c *client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	res := smoke.Run(ctx, smoke.Config{BaseURL: c.base, APIKey: apiKey, Client: c.http})
	t.Log(res.Verdict())
	if res.Err != nil {
		t.Errorf("synthetic check: %s", res.Verdict())
	}
}

// TestEquivalence runs the scenario on the local server (memstore), the
// reference, and on every cloud runtime, and requires the same transcript.
func TestEquivalence(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four binaries and starts three emulators")
	}
	bins := build(t)
	local := startLocal(t, bins)
	want := scenario(t, local)
	runSmoke(t, local)
	if t.Failed() {
		return
	}
	t.Logf("reference transcript (local/memstore):\n%s", want)
	t.Run("runtimes", func(t *testing.T) {
		run := runID + "x" + strconv.FormatInt(runSeq.Add(1), 10)
		for _, rt := range runtimes(run) {
			t.Run(rt.name, func(t *testing.T) {
				t.Parallel()
				c := rt.start(t, bins)
				got := scenario(t, c)
				if d := equivalence.Diff(want, got); d != "" {
					t.Errorf("%s answers differently from local/memstore (- local, + %s):\n%s", rt.name, rt.name, d)
				}
				runSmoke(t, c)
			})
		}
	})
}

// TestDependencyIsolation checks that each cloud's entry point, and each
// cloud's test kit, links no other cloud's SDK.
func TestDependencyIsolation(t *testing.T) {
	aws := []string{"github.com/aws/"}
	google := []string{"cloud.google.com/", "google.golang.org/grpc", "github.com/GoogleCloudPlatform/"}
	azure := []string{"github.com/Azure/", "github.com/AzureAD/"}
	// The local dashboard is off in the cloud entry points: they do not
	// even link it.
	local := []string{"github.com/anyfunc/anyfunc/dashboard"}
	for _, tc := range []struct {
		pkg    string
		forbid []string
	}{
		{pkgLambda, append(append(append([]string(nil), google...), azure...), local...)},
		{pkgAzure, append(append(append([]string(nil), aws...), google...), local...)},
		{"github.com/anyfunc/anyfunc/examples/todo/gcp", append(append(append([]string(nil), aws...), azure...), local...)},
		{pkgGCF, append(append(append([]string(nil), aws...), azure...), local...)},
		// The test kits link their own cloud at most (lambdatest: none).
		{"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest", append(append(append([]string(nil), aws...), google...), azure...)},
		{"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest", append(append([]string(nil), aws...), google...)},
	} {
		out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", tc.pkg).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("go list %s: %v\n%s", tc.pkg, err, ee.Stderr)
			}
			t.Fatal(err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed only %q", tc.pkg, deps)
		}
		for _, d := range deps {
			for _, f := range tc.forbid {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s", tc.pkg, d)
				}
			}
		}
	}
}
