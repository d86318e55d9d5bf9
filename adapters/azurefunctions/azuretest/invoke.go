package azuretest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// NewHost puts the simulated host in front of an in-process handler,
// such as the one azurefunctions.NewHandler returns, served on a new
// httptest.Server. The handler must be in the mode cfg.Mode names (for
// Payload, azurefunctions.WithMode(azurefunctions.ModePayload)).
// cfg.Binary, cfg.Env and cfg.HostJSON are not used and no app directory
// is written: [Host.Dir] is "". Close the Host when done.
func NewHost(h http.Handler, cfg Config) *Host {
	if h == nil {
		panic("azuretest: NewHost: nil handler")
	}
	if cfg.FunctionName == "" {
		cfg.FunctionName = DefaultFunctionName
	}
	prefix := "api"
	if cfg.RoutePrefix != nil {
		prefix = strings.Trim(*cfg.RoutePrefix, "/")
	}
	srv := httptest.NewServer(h)
	return &Host{cfg: cfg, prefix: prefix, endpoint: srv.URL, stop: srv.Close, client: newClient()}
}

// Invocation is the handler's answer to a queue or timer invocation.
type Invocation struct {
	// StatusCode is the HTTP status of the handler's answer. The host
	// counts the invocation a success only when it is 200; otherwise a
	// queue message is retried and, after maxDequeueCount tries, moved
	// to the poison queue.
	StatusCode int
	// Outputs, Logs and ReturnValue are the answer's members (nil when
	// the answer is not a JSON object).
	Outputs     map[string]json.RawMessage
	Logs        []string
	ReturnValue json.RawMessage
	// Body is the answer as the handler sent it.
	Body []byte
}

// QueueMessage is one queue message as the host's queue listener hands it
// to a queueTrigger function.
type QueueMessage struct {
	// Binding is the trigger binding's name in Data; "" means "msg".
	Binding string
	// ID is Metadata.Id; "" means a random UUID.
	ID string
	// Text is the message text, as the host decoded it from the queue's
	// messageEncoding.
	Text string
	// DequeueCount is Metadata.DequeueCount; 0 means 1.
	DequeueCount int64
	// InsertionTime is Metadata.InsertionTime; the zero time means now.
	InsertionTime time.Time
}

// InvokeQueue POSTs a queueTrigger invocation of m to /{function}, as the
// host does for each message it dequeues, and returns the answer. It
// returns an error only when the handler cannot be reached; a failed
// invocation is a StatusCode other than 200.
func (h *Host) InvokeQueue(ctx context.Context, function string, m QueueMessage) (*Invocation, error) {
	if m.Binding == "" {
		m.Binding = "msg"
	}
	if m.ID == "" {
		m.ID = newInvocationID()
	}
	if m.DequeueCount == 0 {
		m.DequeueCount = 1
	}
	now := time.Now().UTC()
	if m.InsertionTime.IsZero() {
		m.InsertionTime = now
	}
	return h.invokeEnvelope(ctx, function, map[string]any{
		"Data": map[string]any{m.Binding: m.Text},
		"Metadata": map[string]any{
			"DequeueCount":  m.DequeueCount,
			"Id":            m.ID,
			"InsertionTime": m.InsertionTime.UTC().Format(time.RFC3339),
			"sys":           sysMetadata(function, now),
		},
	})
}

// TimerTick is one firing of a timerTrigger function.
type TimerTick struct {
	// Binding is the trigger binding's name in Data; "" means "timer".
	Binding string
	// Time is Metadata.sys.UtcNow, when the host fired the timer; the
	// zero time means now.
	Time time.Time
	// PastDue is Data.timer.IsPastDue: the host fires late.
	PastDue bool
}

// InvokeTimer POSTs a timerTrigger invocation of t to /{function}, as the
// host does when the function's schedule fires, and returns the answer.
// It returns an error only when the handler cannot be reached.
func (h *Host) InvokeTimer(ctx context.Context, function string, t TimerTick) (*Invocation, error) {
	if t.Binding == "" {
		t.Binding = "timer"
	}
	if t.Time.IsZero() {
		t.Time = time.Now()
	}
	at := t.Time.UTC()
	return h.invokeEnvelope(ctx, function, map[string]any{
		"Data": map[string]any{t.Binding: map[string]any{
			"Schedule":       map[string]any{"AdjustForDST": true},
			"ScheduleStatus": map[string]any{"Last": "0001-01-01T00:00:00", "Next": at.Format("2006-01-02T15:04:05"), "LastUpdated": "0001-01-01T00:00:00"},
			"IsPastDue":      t.PastDue,
		}},
		"Metadata": map[string]any{"sys": sysMetadata(function, at)},
	})
}

func sysMetadata(function string, now time.Time) map[string]any {
	return map[string]any{"MethodName": function, "UtcNow": now.Format(time.RFC3339Nano), "RandGuid": newInvocationID()}
}

func (h *Host) invokeEnvelope(ctx context.Context, function string, env map[string]any) (*Invocation, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	resp, err := h.invokeFunction(ctx, function, b)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("azuretest: reading the handler's answer: %w", err)
	}
	inv := &Invocation{StatusCode: resp.StatusCode, Body: body}
	var a answer
	if json.Unmarshal(body, &a) == nil {
		inv.Outputs, inv.Logs, inv.ReturnValue = a.Outputs, a.Logs, a.ReturnValue
	}
	for _, l := range inv.Logs {
		h.log(function + ": " + l)
	}
	return inv, nil
}
