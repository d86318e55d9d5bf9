// Package smoke is the to-do API's synthetic check: the smoke scenario
// (health, create, read, update, list, delete, read-after-delete) run
// against any base URL, stopping at the first step that fails, with each
// step's latency. Command examples/todo/cmd/smoke runs it from a shell or a
// scheduler; the equivalence tests run it against every emulator-backed
// runtime.
//
// The scenario creates one todo titled "smoke check …" and deletes it, so
// it leaves nothing behind when it passes.
package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Config says where and as whom the scenario runs.
type Config struct {
	// BaseURL is the API's base URL ("https://abc.execute-api.us-east-1.amazonaws.com",
	// "http://127.0.0.1:8080", "https://app.azurewebsites.net/api").
	BaseURL string
	// APIKey is sent as X-Api-Key; BearerToken as Authorization: Bearer.
	// One of them is needed for the /todos steps.
	APIKey, BearerToken string
	// Client sends the requests; nil means a client with a 30 s timeout.
	Client *http.Client
	// Now is the clock the latencies are measured with; nil means
	// time.Now.
	Now func() time.Time
}

// Step is one request of the scenario and how it went.
type Step struct {
	Name    string        `json:"name"`
	Method  string        `json:"method"`
	Path    string        `json:"path"`
	Status  int           `json:"status"`
	Latency time.Duration `json:"latencyNs"`
}

// Result is what a run did: the steps that ran, the last one the failed
// one when Err is not nil.
type Result struct {
	BaseURL string
	Steps   []Step
	Total   time.Duration
	Err     error
}

// Steps is the number of steps of the scenario.
const Steps = 7

// StepError is the error of a step that did not answer as expected.
type StepError struct {
	Step   string
	Method string
	Path   string
	Status int    // 0 when no answer came
	Want   int    // the status the step expects
	Detail string // what else was wrong, or the transport error
}

// Error names the step, the request and what was wrong.
func (e *StepError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s: %s %s: %s", e.Step, e.Method, e.Path, e.Detail)
	}
	s := fmt.Sprintf("%s: %s %s answered %d, want %d", e.Step, e.Method, e.Path, e.Status, e.Want)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Run runs the scenario against c.BaseURL and returns its Result; the
// Result's Err is the first failure (a *StepError), or nil.
func Run(ctx context.Context, c Config) *Result {
	res := &Result{BaseURL: strings.TrimRight(c.BaseURL, "/")}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if res.BaseURL == "" {
		res.Err = errors.New("smoke: no base URL")
		return res
	}
	if c.APIKey == "" && c.BearerToken == "" {
		res.Err = errors.New("smoke: no credentials: give an API key or a bearer token")
		return res
	}
	r := &run{c: c, res: res}
	start := c.Now()
	defer func() { res.Total = c.Now().Sub(start) }()

	if _, _, err := r.do(ctx, "health", "GET", "/healthz", nil, nil, http.StatusOK); err != nil {
		return res
	}
	title := "smoke check " + start.UTC().Format(time.RFC3339Nano)
	h, b, err := r.do(ctx, "create", "POST", "/todos", map[string]any{"title": title}, nil, http.StatusCreated)
	if err != nil {
		return res
	}
	var todo struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Done  bool   `json:"done"`
	}
	if json.Unmarshal(b, &todo) != nil || todo.ID == "" || h.Get("ETag") == "" {
		r.fail("create", "POST", "/todos", http.StatusCreated, http.StatusCreated, "the answer has no id or no ETag")
		return res
	}
	path := "/todos/" + todo.ID
	if _, b, err = r.do(ctx, "read", "GET", path, nil, nil, http.StatusOK); err != nil {
		return res
	}
	if json.Unmarshal(b, &todo) != nil || todo.Title != title {
		r.fail("read", "GET", path, http.StatusOK, http.StatusOK, "the todo read is not the one created")
		return res
	}
	if _, b, err = r.do(ctx, "update", "PATCH", path, map[string]any{"done": true}, http.Header{"If-Match": {h.Get("ETag")}}, http.StatusOK); err != nil {
		return res
	}
	if json.Unmarshal(b, &todo) != nil || !todo.Done {
		r.fail("update", "PATCH", path, http.StatusOK, http.StatusOK, "the todo is not done after the update")
		return res
	}
	if _, _, err = r.do(ctx, "list", "GET", "/todos?limit=1", nil, nil, http.StatusOK); err != nil {
		return res
	}
	if _, _, err = r.do(ctx, "delete", "DELETE", path, nil, nil, http.StatusNoContent); err != nil {
		return res
	}
	r.do(ctx, "read after delete", "GET", path, nil, nil, http.StatusNotFound)
	return res
}

type run struct {
	c   Config
	res *Result
}

func (r *run) fail(step, method, path string, status, want int, detail string) {
	r.res.Err = &StepError{Step: step, Method: method, Path: path, Status: status, Want: want, Detail: detail}
}

// do sends one request, records its step, and fails the run unless the
// answer has status want.
func (r *run) do(ctx context.Context, step, method, path string, body any, header http.Header, want int) (http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.res.BaseURL+path, rd)
	if err != nil {
		r.fail(step, method, path, 0, want, err.Error())
		return nil, nil, r.res.Err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.c.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+r.c.BearerToken)
	} else {
		req.Header.Set("X-Api-Key", r.c.APIKey)
	}
	start := r.c.Now()
	resp, err := r.c.Client.Do(req)
	var b []byte
	if err == nil {
		b, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
	s := Step{Name: step, Method: method, Path: path, Latency: r.c.Now().Sub(start)}
	if err != nil {
		r.res.Steps = append(r.res.Steps, s)
		r.fail(step, method, path, 0, want, err.Error())
		return nil, nil, r.res.Err
	}
	s.Status = resp.StatusCode
	r.res.Steps = append(r.res.Steps, s)
	if resp.StatusCode != want {
		detail := ""
		var p struct {
			Code      string `json:"code"`
			RequestID string `json:"requestId"`
		}
		if json.Unmarshal(b, &p) == nil && (p.Code != "" || p.RequestID != "") {
			detail = fmt.Sprintf("code %q, request %s", p.Code, p.RequestID)
		}
		r.fail(step, method, path, resp.StatusCode, want, detail)
		return nil, nil, r.res.Err
	}
	return resp.Header, b, nil
}

// Verdict is the result on one line: PASS or FAIL, the steps passed, the
// total time and each step's latency, and the failure.
//
//	smoke PASS 7/7 steps in 41ms http://127.0.0.1:8080 [health 2ms, create 9ms, ...]
//	smoke FAIL 1/7 steps in 12ms http://127.0.0.1:8080 [health 3ms, create 9ms]: create: POST /todos answered 500, want 201
func (res *Result) Verdict() string {
	verdict, passed := "PASS", len(res.Steps)
	if res.Err != nil {
		verdict = "FAIL"
		var se *StepError
		if errors.As(res.Err, &se) && passed > 0 {
			passed--
		}
	}
	lat := make([]string, len(res.Steps))
	for i, s := range res.Steps {
		lat[i] = fmt.Sprintf("%s %s", s.Name, round(s.Latency))
	}
	line := fmt.Sprintf("smoke %s %d/%d steps in %s %s [%s]", verdict, passed, Steps, round(res.Total), res.BaseURL, strings.Join(lat, ", "))
	if res.Err != nil {
		line += ": " + res.Err.Error()
	}
	return line
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
