// Package azuretest runs Azure-Functions-shaped invocations of an app
// without Azure: it simulates the Functions host in front of a custom
// handler, speaking the documented custom-handler protocol from the
// host's side, in the spirit of net/http/httptest.
//
// [NewHost] fronts an in-process handler (what azurefunctions.NewHandler
// returns); [Start] lays out an app directory the way the host expects it
// (host.json naming the executable and the mode, one function folder with
// a catch-all HTTP trigger named "req" and an "http" output named "res"),
// launches a built handler binary there with FUNCTIONS_CUSTOMHANDLER_PORT
// in its environment, and waits until it answers the host's readiness
// probe (any HTTP answer to GET /).
//
// Either way the *Host is an http.RoundTripper: it takes a request as a
// client would send it to the function app and delivers it as the host
// does in the configured [Mode] (the JSON envelope POSTed to
// /{FunctionName}, a rebuilt forwarded request, or a proxied one), then
// turns the handler's answer into the response the client would get.
// [Host.InvokeQueue] and [Host.InvokeTimer] deliver one queueTrigger or
// timerTrigger invocation; [Host.RunQueueTrigger] plays the host's queue
// listener against a real Storage queue (such as Azurite): it polls the
// queue, invokes the function with each message, deletes the message on
// success and retries it, then moves it to the poison queue, on failure.
//
// The package links the Azure Storage queue client and no AWS or Google
// package.
package azuretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anyfunc/anyfunc/internal/emulator"
)

// Mode is how the simulated host delivers HTTP requests.
type Mode int

const (
	// Payload POSTs the JSON envelope to /{FunctionName} and unwraps the
	// JSON answer (customHandler without forwarding or proxying).
	Payload Mode = iota
	// Forwarding rebuilds the request and sends it on
	// (enableForwardingHttpRequest): the query string is rebuilt from the
	// parsed query, so repeated keys arrive joined by commas.
	Forwarding
	// Proxying passes the request through as it is
	// (enableProxyingHttpRequest).
	Proxying
)

// String returns "payload", "forwarding" or "proxying"; an unknown mode
// reads "Mode(N)".
func (m Mode) String() string {
	switch m {
	case Payload:
		return "payload"
	case Forwarding:
		return "forwarding"
	case Proxying:
		return "proxying"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Config describes the app the host runs. The zero value, but for Binary
// with [Start], is a payload-mode app with the default route prefix.
type Config struct {
	// Binary is the built handler executable.
	Binary string
	// Mode is the delivery mode written to host.json.
	Mode Mode
	// RoutePrefix is extensions.http.routePrefix; nil means the host's
	// default, "api".
	RoutePrefix *string
	// FunctionName names the catch-all function folder; "" means "anyfunc".
	FunctionName string
	// FunctionTimeout is host.json's functionTimeout, such as "00:00:02";
	// "" leaves it out.
	FunctionTimeout string
	// QueryAsString sends Data.req.Query as a JSON string, as older hosts
	// did, instead of an object.
	QueryAsString bool
	// Identities is sent as Data.req.Identities in payload mode; nil sends
	// the one anonymous identity the host sends for an anonymous request.
	Identities []map[string]any
	// IdentitiesAsString sends Data.req.Identities as a JSON string holding
	// the list, as older hosts did (JsonConvert.SerializeObject), instead
	// of a list.
	IdentitiesAsString bool
	// HostJSON, when set, is written as host.json verbatim instead of the
	// one derived from the fields above.
	HostJSON []byte
	// Env is added to the handler's environment.
	Env []string
}

// Host is a running simulated host with its handler (a process for
// [Start], an httptest.Server for [NewHost]). Its methods are safe for
// concurrent use.
type Host struct {
	cfg      Config
	dir      string
	endpoint string // http://127.0.0.1:port
	stop     func()
	client   *http.Client
	prefix   string

	mu   sync.Mutex
	logs []string
}

// DefaultFunctionName is the function folder name used when
// Config.FunctionName is empty.
const DefaultFunctionName = "anyfunc"

// Start writes the app directory, launches cfg.Binary in it and waits, up
// to 30 seconds, for it to answer the readiness probe. It returns an
// error if the binary cannot be started or never becomes ready. Close the
// Host when done.
func Start(cfg Config) (*Host, error) {
	if cfg.FunctionName == "" {
		cfg.FunctionName = DefaultFunctionName
	}
	prefix := "api"
	if cfg.RoutePrefix != nil {
		prefix = strings.Trim(*cfg.RoutePrefix, "/")
	}
	dir, err := os.MkdirTemp("", "azuretest-*")
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, dir: dir, prefix: prefix}
	if err := h.writeApp(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	spec := emulator.Spec{
		Name:    "custom handler " + filepath.Base(cfg.Binary),
		Install: "build the handler binary first",
		Command: func(port int) (*exec.Cmd, error) {
			cmd := exec.Command(cfg.Binary)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port),
				"FUNCTIONS_WORKER_RUNTIME=custom",
				"AzureWebJobsScriptRoot="+dir)
			cmd.Env = append(cmd.Env, cfg.Env...)
			return cmd, nil
		},
		Endpoint:     func(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) },
		Ready:        probe,
		StartTimeout: 30 * time.Second,
	}
	endpoint, stop, err := emulator.Launch(spec)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	h.endpoint, h.stop = endpoint, stop
	h.client = newClient()
	return h, nil
}

// newClient is the host's client of the handler: it follows no redirects.
func newClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// probe is the host's readiness check: any HTTP answer to GET / means ready.
func probe(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// Close stops the handler (process or server) and removes the app
// directory.
func (h *Host) Close() {
	h.stop()
	h.client.CloseIdleConnections()
	os.RemoveAll(h.dir)
}

// Dir is the app directory (the handler's working directory); "" for a
// Host from [NewHost].
func (h *Host) Dir() string { return h.dir }

// Endpoint is the handler's own address, http://127.0.0.1:port, for sending
// it requests the host would never send.
func (h *Host) Endpoint() string { return h.endpoint }

// Logs returns, in order, the Logs lines the handler has answered in
// payload mode (those of queue and timer invocations prefixed with
// "FUNCTION: ") and a line for each invocation the host failed.
func (h *Host) Logs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}

func (h *Host) writeApp() error {
	host := h.cfg.HostJSON
	if host == nil {
		ch := map[string]any{"description": map[string]any{"defaultExecutablePath": h.cfg.Binary}}
		switch h.cfg.Mode {
		case Forwarding:
			ch["enableForwardingHttpRequest"] = true
		case Proxying:
			ch["enableProxyingHttpRequest"] = true
		}
		root := map[string]any{"version": "2.0", "customHandler": ch}
		if h.cfg.RoutePrefix != nil {
			root["extensions"] = map[string]any{"http": map[string]any{"routePrefix": *h.cfg.RoutePrefix}}
		}
		if h.cfg.FunctionTimeout != "" {
			root["functionTimeout"] = h.cfg.FunctionTimeout
		}
		var err error
		if host, err = json.Marshal(root); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(h.dir, "host.json"), host, 0o644); err != nil {
		return err
	}
	fn := `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous",` +
		`"methods":["get","post","put","patch","delete","head","options"],"route":"{*path}"},` +
		`{"type":"http","direction":"out","name":"res"}]}`
	if err := os.Mkdir(filepath.Join(h.dir, h.cfg.FunctionName), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(h.dir, h.cfg.FunctionName, "function.json"), []byte(fn), 0o644)
}

// route returns the catch-all route value for an escaped request path, or
// false when the path is outside the route prefix (the host answers 404).
func (h *Host) route(escaped string) (string, bool) {
	if h.prefix == "" {
		return strings.TrimPrefix(escaped, "/"), true
	}
	p := "/" + h.prefix
	if len(escaped) < len(p) || !strings.EqualFold(escaped[:len(p)], p) {
		return "", false
	}
	rest := escaped[len(p):]
	if rest == "" {
		return "", true
	}
	if rest[0] != '/' {
		return "", false
	}
	return rest[1:], true
}

func newInvocationID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := fmt.Sprintf("%x", b[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// hostVersion is what the simulated host reports in its headers.
const hostVersion = "4.1000.0.0"

// RoundTrip delivers req, addressed to the function app (any host; the
// path starts with the route prefix), as the host would, and returns the
// response the client would get: 404 outside the route prefix, 500 with
// an empty body when a payload-mode answer is not one the host accepts
// (the reason is in [Host.Logs]). It returns an error only when the
// handler cannot be reached.
func (h *Host) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	routeValue, ok := h.route(req.URL.EscapedPath())
	if !ok {
		return textResponse(req, http.StatusNotFound, ""), nil
	}
	switch h.cfg.Mode {
	case Payload:
		return h.payload(req, body, routeValue)
	default:
		return h.forward(req, body)
	}
}

func textResponse(req *http.Request, status int, text string) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Body:          io.NopCloser(strings.NewReader(text)),
		ContentLength: int64(len(text)),
		Request:       req,
	}
}

// forward sends the request on as it is (proxying) or rebuilt (forwarding).
func (h *Host) forward(req *http.Request, body []byte) (*http.Response, error) {
	u, _ := url.Parse(h.endpoint)
	out := req.Clone(req.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
	out.Host = req.Host
	if out.Host == "" {
		out.Host = req.URL.Host
	}
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	id := newInvocationID()
	if h.cfg.Mode == Forwarding {
		// The host rebuilds the query from its parsed form: one value per
		// key, repeats joined by commas, re-encoded.
		q := req.URL.Query()
		keys := orderedKeys(req.URL.RawQuery)
		var b strings.Builder
		for _, k := range keys {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(strings.Join(q[k], ",")), "+", "%20"))
		}
		out.URL.RawQuery = b.String()
		out.Header.Set("X-Azure-Functions-InvocationId", id)
		out.Header.Set("X-Azure-Functions-HostVersion", hostVersion)
		ua := "Azure-Functions-Host/" + hostVersion
		if prev := out.Header.Get("User-Agent"); prev != "" {
			ua = prev + " " + ua
		}
		out.Header.Set("User-Agent", ua)
	} else {
		out.Header.Set("X-Ms-Invocation-Id", id)
		out.Header.Add("X-Forwarded-Proto", "http")
		out.Header.Add("X-Forwarded-Host", out.Host)
	}
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.ContentLength = int64(len(body))
	} else {
		out.Body = nil
		out.ContentLength = 0
	}
	resp, err := h.client.Transport.RoundTrip(out)
	if err != nil {
		return nil, fmt.Errorf("azuretest: the handler did not answer: %w", err)
	}
	resp.Request = req
	return resp, nil
}

// orderedKeys returns the distinct keys of a raw query in first-seen order.
func orderedKeys(raw string) []string {
	var keys []string
	seen := map[string]bool{}
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(part, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || k == "" || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys
}

// anonymousIdentity is what the host sends for an anonymous request.
var anonymousIdentity = map[string]any{
	"AuthenticationType": nil, "IsAuthenticated": false, "Actor": nil, "BootstrapContext": nil,
	"Claims": []any{}, "Label": nil, "Name": nil,
	"NameClaimType": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
	"RoleClaimType": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
}

// payload sends the JSON envelope and unwraps the answer.
func (h *Host) payload(req *http.Request, body []byte, routeValue string) (*http.Response, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	u := "http://" + host + req.URL.EscapedPath()
	if req.URL.RawQuery != "" {
		u += "?" + req.URL.RawQuery
	}
	query := map[string]string{}
	for k, vs := range req.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	headers := map[string][]string{}
	for k, vs := range req.Header {
		headers[k] = append([]string(nil), vs...)
	}
	headers["Host"] = []string{host}
	if len(body) > 0 {
		headers["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	params, _ := url.PathUnescape(routeValue)
	r := map[string]any{
		"Url":     u,
		"Method":  req.Method,
		"Headers": headers,
		"Params":  map[string]string{"path": params},
	}
	if h.cfg.QueryAsString {
		qs, _ := json.Marshal(query)
		r["Query"] = string(qs)
	} else {
		r["Query"] = query
	}
	var ids any = []any{anonymousIdentity}
	if h.cfg.Identities != nil {
		ids = h.cfg.Identities
	}
	if h.cfg.IdentitiesAsString {
		b, _ := json.Marshal(ids)
		ids = string(b)
	}
	r["Identities"] = ids
	if len(body) > 0 {
		if octetOrMultipart(req.Header.Get("Content-Type")) {
			r["Body"] = base64.StdEncoding.EncodeToString(body)
		} else {
			r["Body"] = strings.ToValidUTF8(string(body), "\uFFFD")
		}
	}
	qs, _ := json.Marshal(query)
	hs, _ := json.Marshal(headers)
	env := map[string]any{
		"Data": map[string]any{"req": r},
		"Metadata": map[string]any{
			"path": params, "Query": string(qs), "Headers": string(hs),
			"sys": map[string]any{"MethodName": h.cfg.FunctionName,
				"UtcNow": time.Now().UTC().Format(time.RFC3339Nano), "RandGuid": newInvocationID()},
		},
	}
	envJSON, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	resp, err := h.invoke(req.Context(), envJSON)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("azuretest: reading the handler's answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// EnsureSuccessStatusCode fails the invocation: the client gets a 500.
		h.log(fmt.Sprintf("invocation failed: handler answered %d: %s", resp.StatusCode, raw))
		return textResponse(req, http.StatusInternalServerError, ""), nil
	}
	return h.unwrap(req, raw)
}

// Invoke POSTs envelope, as it is, to /{Config.FunctionName} with the
// host's headers and returns the handler's raw HTTP answer (the caller
// closes its body), for tests of envelopes the host would never send.
func (h *Host) Invoke(ctx context.Context, envelope []byte) (*http.Response, error) {
	return h.invoke(ctx, envelope)
}

func (h *Host) invoke(ctx context.Context, envelope []byte) (*http.Response, error) {
	return h.invokeFunction(ctx, h.cfg.FunctionName, envelope)
}

// invokeFunction POSTs an invocation to /{function}, as the host does.
func (h *Host) invokeFunction(ctx context.Context, function string, envelope []byte) (*http.Response, error) {
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint+"/"+function, bytes.NewReader(envelope))
	if err != nil {
		return nil, err
	}
	post.Header.Set("Content-Type", "application/json")
	post.Header.Set("X-Azure-Functions-InvocationId", newInvocationID())
	post.Header.Set("X-Azure-Functions-HostVersion", hostVersion)
	post.Header.Set("User-Agent", "Azure-Functions-Host/"+hostVersion)
	resp, err := h.client.Do(post)
	if err != nil {
		return nil, fmt.Errorf("azuretest: the handler did not answer: %w", err)
	}
	return resp, nil
}

func (h *Host) log(line string) {
	h.mu.Lock()
	h.logs = append(h.logs, line)
	h.mu.Unlock()
}

// answer is the handler's payload-mode answer.
type answer struct {
	Outputs     map[string]json.RawMessage `json:"Outputs"`
	Logs        []string                   `json:"Logs"`
	ReturnValue json.RawMessage            `json:"ReturnValue"`
}

// unwrap turns the answer's Outputs.res into the client's response, as the
// host's HTTP output binding does: statusCode (or status) as a number or a
// numeric string, headers with one string value each, body as text (a
// non-string body is written as JSON).
func (h *Host) unwrap(req *http.Request, raw []byte) (*http.Response, error) {
	var ans answer
	if err := json.Unmarshal(raw, &ans); err != nil {
		h.log("invalid answer: " + err.Error())
		return textResponse(req, http.StatusInternalServerError, ""), nil
	}
	for _, l := range ans.Logs {
		h.log(l)
	}
	resRaw, ok := ans.Outputs["res"]
	if !ok {
		h.log("answer has no Outputs.res")
		return textResponse(req, http.StatusInternalServerError, ""), nil
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal(resRaw, &res); err != nil {
		h.log("Outputs.res is not an object: " + err.Error())
		return textResponse(req, http.StatusInternalServerError, ""), nil
	}
	get := func(name string) (json.RawMessage, bool) {
		for k, v := range res {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	status := http.StatusOK
	sraw, ok := get("statusCode")
	if !ok {
		sraw, ok = get("status")
	}
	if ok {
		var n int
		var s string
		switch {
		case json.Unmarshal(sraw, &n) == nil:
			status = n
		case json.Unmarshal(sraw, &s) == nil:
			if p, err := strconv.Atoi(s); err == nil {
				status = p
			}
		}
	}
	resp := textResponse(req, status, "")
	if hraw, ok := get("headers"); ok && string(hraw) != "null" {
		var hm map[string]any
		if err := json.Unmarshal(hraw, &hm); err != nil {
			h.log("Outputs.res.headers is not an object: " + err.Error())
			return textResponse(req, http.StatusInternalServerError, ""), nil
		}
		for k, v := range hm {
			switch v := v.(type) {
			case string:
				resp.Header.Set(k, v)
			default:
				b, _ := json.Marshal(v)
				resp.Header.Set(k, string(b))
			}
		}
	}
	var body []byte
	if braw, ok := get("body"); ok && string(braw) != "null" {
		var s string
		if err := json.Unmarshal(braw, &s); err == nil {
			body = []byte(s)
		} else {
			body = braw
		}
	}
	if req.Method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified {
		body = nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}

func octetOrMultipart(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/")
}
