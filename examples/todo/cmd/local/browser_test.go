package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// ScreenshotEnv names a file the browser test copies its screenshot to
// (docs/dashboard.png is made this way).
const ScreenshotEnv = "ANYFUNC_DASHBOARD_SCREENSHOT"

// chromium finds Debian's chromium (installed by .ci/setup.d/40-chromium.sh).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(emulator.RequireEnv) == "1" {
		t.Fatalf("chromium is not installed (run .ci/setup.d/40-chromium.sh); %s=1 makes that a failure", emulator.RequireEnv)
	}
	t.Skip("chromium is not installed: run .ci/setup.d/40-chromium.sh (apt-get install chromium) to run the dashboard's browser test")
	return ""
}

// headless runs chromium headless on url with extra flags and returns its
// standard output. The page's own fetches are given up to 20 s of virtual
// time; its 15 s refresh timer does not fire within that.
func headless(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	return headlessFor(t, bin, url, 10_000, extra...)
}

// headlessFor is headless with budget milliseconds of virtual time.
func headlessFor(t *testing.T, bin, url string, budget int, extra ...string) []byte {
	t.Helper()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
		"--virtual-time-budget=" + strconv.Itoa(budget), "--window-size=1280,1250",
	}, extra...)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// node helpers over golang.org/x/net/html.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func byID(doc *html.Node, id string) *html.Node {
	return find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
}

// TestDashboardInBrowser starts the example as cmd/local runs it (the
// dashboard on, the store in memory with 3 failures injected into list
// queries), sends 37 requests of which 3 fail with 500, loads the
// dashboard in headless Chromium and checks that the page shows them: the
// count, the error rate, the per-route counts, the failed requests' IDs.
// It saves a screenshot.
func TestDashboardInBrowser(t *testing.T) {
	bin := chromium(t)
	for _, k := range []string{"TODO_STORE_URL", "TODO_API_KEYS", "TODO_JWT_SECRET", "TODO_JWKS_URL", "TODO_CORS_ORIGINS", "TODO_RATE_LIMIT", "TODO_DASHBOARD_AUTH", "TODO_DASHBOARD"} {
		t.Setenv(k, "")
	}
	t.Setenv("TODO_DASHBOARD_ADDR", "127.0.0.1:0")
	mem := memstore.NewDriver()
	// The first 3 GET /todos fail with an error the store does not retry
	// (a transient one, store.ErrUnavailable, would be retried away): 500.
	mem.FailNext(memstore.OpQuery, 3, errors.New("memstore: injected failure"))
	h, dev, err := newHandler(t.Context(), driver.NewStore(mem))
	if err != nil || !dev {
		t.Fatalf("newHandler: dev %v, %v", dev, err)
	}
	d, err := newDashboard()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- httpserver.Serve(ctx, ln, h, append(serverOptions(), httpserver.WithDashboard(d),
			httpserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))...)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	select {
	case <-d.Ready():
	case err := <-served:
		t.Fatalf("Serve: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the dashboard did not start")
	}

	api := "http://" + ln.Addr().String()
	var failedIDs []string
	send := func(method, path, body string, want int) []byte {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, api+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Api-Key", DevAPIKey)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		if want >= 500 {
			var p struct{ RequestID string }
			if json.Unmarshal(b, &p) != nil || p.RequestID == "" {
				t.Fatalf("%s %s: no request ID in %s", method, path, b)
			}
			failedIDs = append(failedIDs, p.RequestID)
		}
		return b
	}
	var ids []string
	for i := 0; i < 10; i++ { // 10 × POST /todos
		var v struct{ ID string }
		json.Unmarshal(send("POST", "/todos", fmt.Sprintf(`{"title":"task %d"}`, i), http.StatusCreated), &v)
		ids = append(ids, v.ID)
	}
	for i := 0; i < 12; i++ { // 12 × GET /todos, the first 3 failing
		want := http.StatusOK
		if i < 3 {
			want = http.StatusInternalServerError
		}
		send("GET", "/todos", "", want)
	}
	for _, id := range ids { // 10 × GET /todos/{id}
		send("GET", "/todos/"+id, "", http.StatusOK)
	}
	for i := 0; i < 5; i++ { // 5 × GET /healthz
		send("GET", "/healthz", "", http.StatusOK)
	}

	// Each create published an event, which the app's consumer handles in
	// the process: wait (bounded) until the dashboard has recorded all 10.
	for i := 0; ; i++ {
		resp, err := http.Get(d.URL() + "snapshot.json")
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Panels []struct {
				Kind, Name string
				Count      int
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		consumed := 0
		for _, p := range s.Panels {
			if p.Kind == "consumer" {
				consumed += p.Count
			}
		}
		if consumed >= 10 {
			break
		}
		if i == 300 {
			t.Fatalf("after 30 s the consumer has handled %d of the 10 events", consumed)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Load the page; retry a bounded number of times until its script has
	// rendered (the data-rendered marker).
	var doc *html.Node
	for attempt := 1; ; attempt++ {
		dom := headless(t, bin, d.URL(), "--dump-dom")
		parsed, err := html.Parse(bytes.NewReader(dom))
		if err != nil {
			t.Fatal(err)
		}
		root := find(parsed, func(n *html.Node) bool { return n.Data == "html" })
		if root != nil && attr(root, "data-rendered") != "" {
			doc = parsed
			break
		}
		if attempt == 5 {
			t.Fatalf("the page did not render after %d loads; last DOM:\n%s", attempt, dom)
		}
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: the page shows %q, want %q", what, got, want)
		}
	}
	check("app name", text(byID(doc, "app-name")), "todo API (local)")
	check("invocations", text(byID(doc, "invocations")), "37")
	check("error rate", text(byID(doc, "error-rate")), "8.11% errors")
	check("error rate colour", attr(byID(doc, "error-rate"), "class"), "big sev-critical")
	check("errors", text(byID(doc, "error-count")), "3")
	for route, want := range map[string][2]string{
		"POST /todos": {"10", "0 (0.00%)"}, "GET /todos": {"12", "3 (25.00%)"},
		"GET /todos/{id}": {"10", "0 (0.00%)"}, "GET /healthz": {"5", "0 (0.00%)"},
	} {
		p := find(doc, func(n *html.Node) bool { return attr(n, "data-name") == route })
		if p == nil {
			t.Errorf("no panel for %s", route)
			continue
		}
		field := func(class string) string {
			return text(find(p, func(n *html.Node) bool { return strings.HasPrefix(attr(n, "class"), class) }))
		}
		check(route+" count", field("count"), want[0])
		check(route+" errors", field("errors"), want[1])
		// The duration distribution's bars add up to the count.
		bars, sum := find(p, func(n *html.Node) bool { return attr(n, "class") == "bars" }), 0
		for b := bars.FirstChild; bars != nil && b != nil; b = b.NextSibling {
			var n int
			fmt.Sscanf(attr(b, "title"), "%d under", &n)
			sum += n
		}
		check(route+" histogram total", strconv.Itoa(sum), want[0])
		if field("p95") == "" || !strings.HasSuffix(field("mem"), "MB") {
			t.Errorf("%s: p95 %q, memory %q", route, field("p95"), field("mem"))
		}
	}
	// The worker: its consumer handled the 10 events; its hourly schedule
	// has a panel before it first fires.
	for name, want := range map[string]string{"todo-events": "10", "repair-stats": "0"} {
		p := find(doc, func(n *html.Node) bool { return attr(n, "data-name") == name })
		if p == nil {
			t.Errorf("no panel for %s", name)
			continue
		}
		check(name+" count", text(find(p, func(n *html.Node) bool { return attr(n, "class") == "count" })), want)
	}
	events := text(byID(doc, "events"))
	for _, id := range failedIDs {
		if !strings.Contains(events, id) {
			t.Errorf("recent events lack the failed request %s:\n%s", id, events)
		}
	}
	if alerts := text(byID(doc, "alerts")); !strings.Contains(alerts, "CRITICAL · error rate 8.11% (3 of 37 requests answered 5xx)") {
		t.Errorf("alerts: %q", alerts)
	}

	// The time-range selector: the last 24 hours hold the same traffic.
	for attempt := 1; ; attempt++ {
		parsed, err := html.Parse(bytes.NewReader(headless(t, bin, d.URL()+"#window=24h", "--dump-dom")))
		if err != nil {
			t.Fatal(err)
		}
		root := find(parsed, func(n *html.Node) bool { return n.Data == "html" })
		if root != nil && attr(root, "data-window") == "24h" {
			check("24h invocations", text(byID(parsed, "invocations")), "37")
			check("24h error rate", text(byID(parsed, "error-rate")), "8.11% errors")
			break
		}
		if attempt == 5 {
			t.Fatalf("the 24h range did not render after %d loads", attempt)
		}
	}

	// The page refreshes itself every 15 s: given 40 s of virtual time it
	// renders at least 3 times (at 0, 15 and 30 s).
	parsed, err := html.Parse(bytes.NewReader(headlessFor(t, bin, d.URL(), 40_000, "--dump-dom")))
	if err != nil {
		t.Fatal(err)
	}
	if root := find(parsed, func(n *html.Node) bool { return n.Data == "html" }); root == nil {
		t.Error("no html element")
	} else {
		n, _ := strconv.Atoi(attr(root, "data-rendered"))
		t.Logf("renders in 40 s of virtual time: %d", n)
		if n < 3 {
			t.Errorf("in 40 s of virtual time the page rendered %d times, want at least 3 (a refresh every 15 s)", n)
		}
	}

	shot := filepath.Join(t.TempDir(), "dashboard.png")
	headless(t, bin, d.URL(), "--screenshot="+shot)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Fatalf("the screenshot is not a PNG of a rendered page (%d bytes)", len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if out := os.Getenv(ScreenshotEnv); out != "" {
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
