package coldstart_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/internal/bench/coldstart"
)

// childEnv makes the test binary act as the function under test: a tiny
// Lambda runtime client, functions-framework-like server or custom handler
// that answers {"ok":true} to a request carrying X-Api-Key: k.
const childEnv = "COLDSTART_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "lambda":
		lambdaChild()
	case "gcf":
		http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			answer(w, r.URL.Path, r.Header.Get("X-Api-Key"))
		}))
	case "azure":
		mux := http.NewServeMux()
		mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {})
		mux.HandleFunc("POST /todo", func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Data struct {
					Req struct {
						URL     string              `json:"Url"`
						Headers map[string][]string `json:"Headers"`
					} `json:"req"`
				} `json:"Data"`
			}
			json.NewDecoder(r.Body).Decode(&in)
			path := strings.TrimPrefix(in.Data.Req.URL, "http://localhost:7071")
			key := ""
			if v := in.Data.Req.Headers["X-Api-Key"]; len(v) > 0 {
				key = v[0]
			}
			status, body := result(path, key)
			json.NewEncoder(w).Encode(map[string]any{"Outputs": map[string]any{"res": map[string]any{
				"statusCode": status, "headers": map[string]string{"Content-Type": "application/json"}, "body": body}}})
		})
		http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), mux)
	}
	os.Exit(3)
}

func result(path, key string) (string, string) {
	if path != "/todos/1" || key != "k" {
		return "404", `{"ok":false}`
	}
	return "200", `{"ok":true}`
}

func answer(w http.ResponseWriter, path, key string) {
	status, body := result(path, key)
	w.Header().Set("Content-Type", "application/json")
	if status != "200" {
		w.WriteHeader(http.StatusNotFound)
	}
	io.WriteString(w, body)
}

// lambdaChild serves one invocation through the Runtime API.
func lambdaChild() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	resp, err := http.Get(base + "next")
	if err != nil {
		os.Exit(4)
	}
	var ev struct {
		RawPath string            `json:"rawPath"`
		Headers map[string]string `json:"headers"`
	}
	json.NewDecoder(resp.Body).Decode(&ev)
	resp.Body.Close()
	status, body := result(ev.RawPath, ev.Headers["x-api-key"])
	out, _ := json.Marshal(map[string]any{"statusCode": map[string]int{"200": 200, "404": 404}[status],
		"headers": map[string]string{"Content-Type": "application/json"}, "body": body})
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	r, err := http.Post(base+id+"/response", "application/json", strings.NewReader(string(out)))
	if err == nil {
		r.Body.Close()
	}
	select {} // wait for the harness to stop the process
}

func TestRun(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	deploy := filepath.Join("..", "..", "..", "examples", "todo", "deploy", "azure")
	if err := coldstart.WriteAzureApp(app, deploy, "todo", "handler"); err != nil {
		t.Fatal(err)
	}
	host, err := os.ReadFile(filepath.Join(app, "host.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(host), "Proxying") || !strings.Contains(string(host), `"routePrefix": ""`) {
		t.Errorf("host.json is not the deploy one in payload mode:\n%s", host)
	}
	for _, cloud := range []coldstart.Cloud{coldstart.Lambda, coldstart.GCF, coldstart.Azure} {
		for _, c := range []struct {
			key    string
			status int
			body   string
		}{{"k", 200, `{"ok":true}`}, {"wrong", 404, `{"ok":false}`}} {
			tg := coldstart.Target{Cloud: cloud, Impl: "test", Binary: self, Env: []string{childEnv + "=" + string(cloud)}}
			if cloud == coldstart.Azure {
				tg.AppDir, tg.FunctionName = app, "todo"
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			s, err := coldstart.Run(ctx, tg, coldstart.Request{Path: "/todos/1", Header: http.Header{"X-Api-Key": {c.key}}})
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", cloud, err)
			}
			if s.Answer.Status != c.status || strings.TrimSpace(string(s.Answer.Body)) != c.body ||
				s.Answer.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s with key %q answered %d %v %s", cloud, c.key, s.Answer.Status, s.Answer.Header, s.Answer.Body)
			}
			if s.Wall <= 0 || s.MaxRSS <= 0 || s.MaxRSS > 1<<30 || (cloud != coldstart.Lambda) != (s.Ready > 0) || s.Ready > s.Wall || s.Cloud != cloud || s.Impl != "test" {
				t.Errorf("%s: sample %+v lacks measurements", cloud, s)
			}
		}
	}
}

func TestRunReportsAnEarlyExit(t *testing.T) {
	tg := coldstart.Target{Cloud: coldstart.GCF, Impl: "test", Binary: "/bin/false"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := coldstart.Run(ctx, tg, coldstart.Request{Path: "/"}); err == nil || !strings.Contains(err.Error(), "exited before answering") {
		t.Errorf("Run of /bin/false: %v", err)
	}
}
