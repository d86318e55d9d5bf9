package azurefunctions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// triggerHandler serves an event.App: the host's POST /{FunctionName} for
// a declared consumer (queueTrigger) or schedule (timerTrigger) goes to it,
// everything else to the HTTP handler of the configured mode.
type triggerHandler struct {
	a       *adapter
	app     *event.App
	next    http.Handler
	timeout time.Duration // functionTimeout, not capped by HTTPResponseLimit
}

func (t *triggerHandler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	// In proxy mode the host marks the client requests it proxies with
	// X-Ms-Invocation-Id (overriding any value a client sent); they are
	// HTTP requests whatever their path, so that no client can pose as a
	// queue or timer invocation.
	proxied := t.a.mode == ModeProxy && hr.Header.Get(ProxyInvocationIDHeader) != ""
	if hr.Method == http.MethodPost && !proxied {
		name := strings.TrimPrefix(hr.URL.Path, "/")
		if c, ok := lookupFold(t.app.Consumers(), name, func(c event.Consumer) string { return c.Name }); ok {
			t.serve(w, hr, c.Name, func(ctx context.Context, env []byte) error {
				m, err := decodeQueueInvocation(env)
				if err != nil {
					return err
				}
				m.Queue = consumerQueue(c)
				return event.Deliver(ctx, c.Handler, m)
			})
			return
		}
		if s, ok := lookupFold(t.app.Schedules(), name, func(s event.Schedule) string { return s.Name }); ok {
			t.serve(w, hr, s.Name, func(ctx context.Context, env []byte) error {
				tick, err := decodeTimerInvocation(env, s.Name)
				if err != nil {
					return err
				}
				return event.Fire(ctx, s.Handler, tick)
			})
			return
		}
	}
	t.next.ServeHTTP(w, hr)
}

// consumerQueue names the queue a consumer's messages come from: its first
// declared queue, else its name.
func consumerQueue(c event.Consumer) string {
	if len(c.Queues) > 0 {
		return c.Queues[0]
	}
	return c.Name
}

// lookupFold finds the declaration named name, exactly or, as the host's
// function names are, case-insensitively.
func lookupFold[T any](list []T, name string, nameOf func(T) string) (T, bool) {
	for _, v := range list {
		if nameOf(v) == name {
			return v, true
		}
	}
	for _, v := range list {
		if equalFoldASCII(nameOf(v), name) {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// errInvalidInvocation wraps the reasons a trigger invocation is refused
// before the handler runs.
var errInvalidInvocation = errors.New("azurefunctions: invalid trigger invocation")

// serve runs one trigger invocation and answers the host: 200 with
// {"Outputs":{},"Logs":[],"ReturnValue":null} on success, which completes
// it (a queue message is deleted); otherwise 500 (400 for an invocation
// that cannot be decoded) with the reason in Logs, which fails it: the host
// makes a queue message visible again and, after maxDequeueCount failures,
// moves it to the poison queue.
func (t *triggerHandler) serve(w http.ResponseWriter, hr *http.Request, function string, run func(context.Context, []byte) error) {
	id := hr.Header.Get(InvocationIDHeader)
	ctx := hr.Context()
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	inv := t.a.invocation(id, function)
	ctx = adapterkit.ContextWithInvocation(ctx, &inv)
	status := http.StatusOK
	var logs []string
	env, err := t.a.readEnvelope(hr, nil)
	if err == nil {
		err = run(ctx, env)
	}
	if err != nil {
		status = http.StatusInternalServerError
		if errors.Is(err, errInvalidInvocation) {
			status = http.StatusBadRequest
			handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "azurefunctions: invalid trigger invocation",
				slog.String("function", function), slog.String("invocationId", id), slog.String("error", err.Error()))
		}
		if he := handler.AsError(err); he != nil && he.Status == http.StatusRequestEntityTooLarge {
			status = he.Status
		}
		logs = append(logs, "anyfunc: function "+function+" failed: "+err.Error())
	}
	b := append(make([]byte, 0, 128), `{"Outputs":{},"Logs":[`...)
	for i, l := range logs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonscan.AppendString(b, l)
	}
	b = append(b, `],"ReturnValue":null}`...)
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errInvalidInvocation, fmt.Sprintf(format, args...))
}

// envelope walks {"Data":{BINDING:VALUE},"Metadata":{...}}, calling data
// for the first member of Data and meta for each member of Metadata.
func envelope(b []byte, data func(s *jsonscan.Scanner, binding string) error, meta func(s *jsonscan.Scanner, key string) error) error {
	sc := jsonscan.New(unsafe.String(unsafe.SliceData(b), len(b)))
	s := &sc
	it, ok := s.Open('{')
	if !ok {
		return invalid("the invocation is not a JSON object")
	}
	sawData := false
	for {
		k, more, err := s.NextKey(&it)
		if err != nil {
			return invalid("%v", err)
		}
		if !more {
			break
		}
		switch {
		case equalFoldASCII(k, "Data"):
			dit, ok := s.Open('{')
			if !ok {
				return invalid("Data must be an object, found %s", found(s))
			}
			for {
				bk, more, err := s.NextKey(&dit)
				if err != nil {
					return invalid("%v", err)
				}
				if !more {
					break
				}
				if sawData {
					err = s.Skip()
				} else {
					sawData = true
					err = data(s, bk)
				}
				if err != nil {
					return err
				}
			}
		case equalFoldASCII(k, "Metadata"):
			if isNull, err := s.Null(); isNull || err != nil {
				if err != nil {
					return invalid("%v", err)
				}
				continue
			}
			mit, ok := s.Open('{')
			if !ok {
				return invalid("Metadata must be an object, found %s", found(s))
			}
			for {
				mk, more, err := s.NextKey(&mit)
				if err != nil {
					return invalid("%v", err)
				}
				if !more {
					break
				}
				if err := meta(s, mk); err != nil {
					return err
				}
			}
		default:
			if err := s.Skip(); err != nil {
				return invalid("%v", err)
			}
		}
	}
	if err := s.End(); err != nil {
		return invalid("%v", err)
	}
	if !sawData {
		return invalid("the invocation has no trigger data (Data is empty)")
	}
	return nil
}

// skipValue skips a value, reporting malformed JSON as an invalid
// invocation.
func skipValue(s *jsonscan.Scanner) error {
	if err := s.Skip(); err != nil {
		return invalid("%v", err)
	}
	return nil
}

// decodeQueueInvocation reads a queueTrigger invocation: the message text
// (as the host decoded it from the queue's messageEncoding) in Data, and
// Id, DequeueCount and InsertionTime in Metadata.
func decodeQueueInvocation(b []byte) (*event.Message, error) {
	m := &event.Message{}
	err := envelope(b, func(s *jsonscan.Scanner, binding string) error {
		switch s.Kind() {
		case jsonscan.String:
			body, err := s.AppendStr(nil)
			if err != nil {
				return invalid("Data.%s: %v", binding, err)
			}
			m.Body = body
		case jsonscan.Object, jsonscan.Array:
			// A message holding JSON may arrive as that JSON itself.
			start := s.Pos()
			if err := s.Skip(); err != nil {
				return invalid("Data.%s: %v", binding, err)
			}
			m.Body = []byte(strings.TrimSpace(s.Source()[start:s.Pos()]))
		default:
			return invalid("Data.%s must be the queue message, found %s", binding, found(s))
		}
		return nil
	}, func(s *jsonscan.Scanner, key string) error {
		var err error
		switch {
		case equalFoldASCII(key, "Id"):
			if m.ID, err = optString(s); err != nil {
				return invalid("Metadata.Id must be a string, found %s", found(s))
			}
		case equalFoldASCII(key, "DequeueCount"):
			n, err := intOrString(s)
			if err != nil || n < 0 {
				return invalid("Metadata.DequeueCount must be a count, found %s", found(s))
			}
			m.DeliveryCount = n
		case equalFoldASCII(key, "InsertionTime"):
			var v string
			if v, err = optString(s); err != nil {
				return invalid("Metadata.InsertionTime must be a string, found %s", found(s))
			}
			if v != "" {
				if m.EnqueuedAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
					return invalid("Metadata.InsertionTime %q is not an RFC 3339 time", v)
				}
			}
		default:
			return skipValue(s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.ID == "" {
		return nil, invalid("Metadata.Id, the queue message's ID, is missing")
	}
	if err := unwrapEnvelope(m); err != nil {
		return nil, err
	}
	return m, nil
}

// envelopePrefix starts the message text package queue/azurequeue sends
// for a message with attributes (Storage queues have none):
// {"anyfunc.envelope":1,"attributes":{...},"body":"BASE64"}.
const envelopePrefix = `{"anyfunc.envelope":`

// unwrapEnvelope replaces an azurequeue envelope in m.Body by the body and
// attributes it carries, so that attributes (a traceparent among them)
// reach the consumer as on the other platforms.
func unwrapEnvelope(m *event.Message) error {
	if !strings.HasPrefix(string(m.Body), envelopePrefix) {
		return nil
	}
	var env struct {
		Version    int               `json:"anyfunc.envelope"`
		Attributes map[string]string `json:"attributes"`
		Body       string            `json:"body"`
	}
	if err := json.Unmarshal(m.Body, &env); err != nil || env.Version != 1 {
		return invalid("the message is an anyfunc envelope that cannot be read (version 1 expected)")
	}
	body, err := base64.StdEncoding.DecodeString(env.Body)
	if err != nil {
		return invalid("the anyfunc envelope's body is not base64")
	}
	m.Body, m.Attributes = body, env.Attributes
	return nil
}

// intOrString reads a non-negative integer sent as a number or a string.
func intOrString(s *jsonscan.Scanner) (int, error) {
	var v string
	var err error
	switch s.Kind() {
	case jsonscan.Number:
		v, err = s.Number()
	case jsonscan.String:
		v, err = s.Str()
	default:
		return 0, errWrongType
	}
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

// decodeTimerInvocation reads a timerTrigger invocation:
// {"Data":{"timer":{"Schedule":...,"ScheduleStatus":...,"IsPastDue":bool}},
// "Metadata":{"sys":{"UtcNow":...}}}. The tick's time is sys.UtcNow, when
// the host fired it.
func decodeTimerInvocation(b []byte, name string) (*event.Tick, error) {
	t := &event.Tick{Schedule: name}
	err := envelope(b, func(s *jsonscan.Scanner, binding string) error {
		if s.Kind() == jsonscan.String {
			// Some hosts send binding data serialised as a string.
			inner, err := s.AppendStr(nil)
			if err != nil {
				return invalid("Data.%s: %v", binding, err)
			}
			is := jsonscan.New(unsafe.String(unsafe.SliceData(inner), len(inner)))
			return timerInfo(&is, binding, t)
		}
		return timerInfo(s, binding, t)
	}, func(s *jsonscan.Scanner, key string) error {
		if !equalFoldASCII(key, "sys") || s.Kind() != jsonscan.Object {
			return skipValue(s)
		}
		it, _ := s.Open('{')
		for {
			k, more, err := s.NextKey(&it)
			if err != nil {
				return invalid("%v", err)
			}
			if !more {
				return nil
			}
			if !equalFoldASCII(k, "UtcNow") {
				if err := skipValue(s); err != nil {
					return err
				}
				continue
			}
			v, err := optString(s)
			if err != nil {
				return invalid("Metadata.sys.UtcNow must be a string, found %s", found(s))
			}
			if v != "" {
				if t.Time, err = time.Parse(time.RFC3339Nano, v); err != nil {
					return invalid("Metadata.sys.UtcNow %q is not an RFC 3339 time", v)
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if t.Time.IsZero() {
		t.Time = time.Now().UTC()
	}
	return t, nil
}

func timerInfo(s *jsonscan.Scanner, binding string, t *event.Tick) error {
	it, ok := s.Open('{')
	if !ok {
		return invalid("Data.%s must be the timer's information, found %s", binding, found(s))
	}
	for {
		k, more, err := s.NextKey(&it)
		if err != nil {
			return invalid("%v", err)
		}
		if !more {
			return nil
		}
		if !equalFoldASCII(k, "IsPastDue") {
			if err := skipValue(s); err != nil {
				return err
			}
			continue
		}
		if s.Kind() != jsonscan.Bool {
			return invalid("Data.%s.IsPastDue must be a boolean, found %s", binding, found(s))
		}
		if t.PastDue, err = s.Bool(); err != nil {
			return invalid("%v", err)
		}
	}
}
