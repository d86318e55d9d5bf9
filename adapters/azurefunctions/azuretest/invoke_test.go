package azuretest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
)

// recordHost fronts a handler that records each invocation's path and
// envelope and answers with answer.
func recordHost(t *testing.T, status int, answer string) (*azuretest.Host, *[]string, *[]map[string]any) {
	t.Helper()
	var paths []string
	var envs []map[string]any
	h := azuretest.NewHost(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env map[string]any
		if err := json.Unmarshal(b, &env); err != nil {
			t.Errorf("envelope %s: %v", b, err)
		}
		paths, envs = append(paths, r.URL.Path), append(envs, env)
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}), azuretest.Config{})
	t.Cleanup(h.Close)
	return h, &paths, &envs
}

func TestInvokeQueueDefaults(t *testing.T) {
	h, paths, envs := recordHost(t, 200, `{"Outputs":{},"Logs":["done"],"ReturnValue":null}`)
	inv, err := h.InvokeQueue(t.Context(), "orders", azuretest.QueueMessage{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.StatusCode != 200 || strings.Join(inv.Logs, ",") != "done" || inv.Outputs == nil {
		t.Errorf("invocation %+v", inv)
	}
	if (*paths)[0] != "/orders" {
		t.Errorf("path %q", (*paths)[0])
	}
	env := (*envs)[0]
	md := env["Metadata"].(map[string]any)
	if env["Data"].(map[string]any)["msg"] != "hi" || md["DequeueCount"] != float64(1) || len(md["Id"].(string)) != 36 {
		t.Errorf("envelope %v", env)
	}
	if _, err := time.Parse(time.RFC3339, md["InsertionTime"].(string)); err != nil {
		t.Errorf("InsertionTime: %v", err)
	}
	if got := h.Logs(); len(got) != 1 || got[0] != "orders: done" {
		t.Errorf("Logs() = %q", got)
	}
}

func TestInvokeQueueGiven(t *testing.T) {
	h, _, envs := recordHost(t, 500, `not json`)
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	inv, err := h.InvokeQueue(t.Context(), "q", azuretest.QueueMessage{Binding: "item", ID: "m1", Text: "x", DequeueCount: 4, InsertionTime: at})
	if err != nil {
		t.Fatal(err)
	}
	if inv.StatusCode != 500 || string(inv.Body) != "not json" || inv.Logs != nil {
		t.Errorf("invocation %+v", inv)
	}
	env := (*envs)[0]
	md := env["Metadata"].(map[string]any)
	if env["Data"].(map[string]any)["item"] != "x" || md["Id"] != "m1" || md["DequeueCount"] != float64(4) || md["InsertionTime"] != "2024-05-06T07:08:09Z" {
		t.Errorf("envelope %v", env)
	}
}

func TestInvokeTimer(t *testing.T) {
	h, paths, envs := recordHost(t, 200, `{}`)
	at := time.Date(2024, 5, 6, 7, 0, 0, 0, time.FixedZone("x", 3600))
	if _, err := h.InvokeTimer(t.Context(), "hourly", azuretest.TimerTick{Time: at, PastDue: true}); err != nil {
		t.Fatal(err)
	}
	env := (*envs)[0]
	timer := env["Data"].(map[string]any)["timer"].(map[string]any)
	sys := env["Metadata"].(map[string]any)["sys"].(map[string]any)
	if (*paths)[0] != "/hourly" || timer["IsPastDue"] != true || sys["UtcNow"] != "2024-05-06T06:00:00Z" || sys["MethodName"] != "hourly" {
		t.Errorf("envelope %v", env)
	}
}

func TestNewHostNilHandler(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("NewHost(nil) did not panic")
		}
	}()
	azuretest.NewHost(nil, azuretest.Config{})
}
