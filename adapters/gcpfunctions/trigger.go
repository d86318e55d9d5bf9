package gcpfunctions

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
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

// PubSubEventType is the CloudEvent type Eventarc gives a Pub/Sub message.
const PubSubEventType = "google.cloud.pubsub.topic.v1.messagePublished"

// DefaultPushPath is the path at which the adapter takes Pub/Sub push
// envelopes from a push subscription: https://SERVICE/_pubsub/CONSUMER (or
// /_pubsub, picking the consumer by the subscription's name).
const DefaultPushPath = "/_pubsub"

// The Cloud Scheduler headers of an HTTP target's request.
const (
	SchedulerJobHeader  = "X-Cloudscheduler-Jobname"
	SchedulerTimeHeader = "X-Cloudscheduler-Scheduletime"
)

// maxEventBytes bounds the body of a trigger request: a Pub/Sub message is
// at most 10 MB, which base64 and the envelope inflate.
const maxEventBytes = 16 << 20

// WithPushPath sets the path at which Pub/Sub push envelopes are taken
// (see [DefaultPushPath]).
func WithPushPath(p string) Option {
	return func(o *options) { o.pushPath = "/" + strings.Trim(p, "/") }
}

// WithTriggerAuth makes every trigger request (CloudEvents, Pub/Sub push
// envelopes, Cloud Scheduler calls) pass mw before it is dispatched; a
// request mw refuses gets mw's answer (401 for a missing or invalid token)
// and reaches no consumer or schedule. Use it to verify the Google-signed
// OIDC token Pub/Sub push and Cloud Scheduler attach:
//
//	auth, err := jwtauth.New(
//		jwtauth.WithOIDCIssuer("https://accounts.google.com"),
//		jwtauth.WithAudience("https://todo-abc123-ew.a.run.app"), // the token's audience: the target URL by default
//	)
//	h, err := gcpfunctions.NewHandler(app, gcpfunctions.WithTriggerAuth(auth))
//
// Without it, anyone who can call the function can fire its schedules and
// publish to its consumers: deploy it without unauthenticated access (the
// default for Cloud Run functions), so that Google's front end checks the
// token instead.
func WithTriggerAuth(mw handler.Middleware) Option {
	return func(o *options) { o.triggerAuth = mw }
}

// triggerKind is what a request to an App is.
type triggerKind uint8

const (
	notTrigger    triggerKind = iota
	cloudEvent                // binary mode (ce-* headers) or structured mode
	pushEnvelope              // a Pub/Sub push subscription's POST
	schedulerCall             // a Cloud Scheduler HTTP target
)

func (a *adapter) triggerKindOf(hr *http.Request) triggerKind {
	if hr.Method != http.MethodPost {
		return notTrigger
	}
	switch {
	case hr.Header.Get("Ce-Type") != "" || hr.Header.Get("Ce-Specversion") != "":
		return cloudEvent
	case isStructuredCloudEvent(hr.Header.Get("Content-Type")):
		return cloudEvent
	case hr.Header.Get(SchedulerJobHeader) != "":
		return schedulerCall
	case hr.URL.Path == a.opts.pushPath || strings.HasPrefix(hr.URL.Path, a.opts.pushPath+"/"):
		return pushEnvelope
	}
	return notTrigger
}

func isStructuredCloudEvent(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/cloudevents+json"
}

// serveTrigger answers a trigger request of an App: 204 once the consumer
// or schedule succeeded (which acknowledges a Pub/Sub message), 500 when it
// failed or panicked (Pub/Sub redelivers, Cloud Scheduler retries per its
// retry config), 400 for a request that cannot be decoded or a CloudEvent
// of another type, 404 when no consumer or schedule is declared for it.
// The problem bodies name the reason; a handler's error text is logged,
// not answered.
func (a *adapter) serveTrigger(ctx context.Context, w http.ResponseWriter, hr *http.Request, kind triggerKind, id string) {
	r, err := adapterkit.RequestFromHTTP(hr)
	if err != nil {
		adapterkit.WriteHTTP(ctx, w, hr.Method, handler.ErrorResponse(err, id))
		return
	}
	r.RequestID = id
	r.RemoteAddr = ""
	var h handler.Handler = handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return a.dispatch(ctx, r, kind)
	})
	if a.opts.triggerAuth != nil {
		h = a.opts.triggerAuth(h)
	}
	adapterkit.WriteHTTP(ctx, w, hr.Method, handler.Serve(ctx, h, r))
}

func badEvent(format string, args ...any) error {
	return &handler.Error{Status: http.StatusBadRequest, Code: "invalid_event", Message: fmt.Sprintf(format, args...)}
}

func notServed(format string, args ...any) error {
	return &handler.Error{Status: http.StatusNotFound, Code: "not_served", Message: fmt.Sprintf(format, args...)}
}

// failed is the answer to a consumer's or schedule's failure; its cause is
// logged by handler.Serve, never answered.
func failed(what string, err error) error {
	return &handler.Error{Status: http.StatusInternalServerError, Code: "handler_failed",
		Message: what + " failed; it will be retried.", Err: err}
}

func (a *adapter) dispatch(ctx context.Context, r *handler.Request, kind triggerKind) (*handler.Response, error) {
	if len(r.Body) > maxEventBytes {
		return nil, handler.BodyTooLargeError(maxEventBytes)
	}
	switch kind {
	case schedulerCall:
		job := r.Header.Get(SchedulerJobHeader)
		name := event.QueueName(job)
		s, ok := a.app.ScheduleNamed(name)
		if !ok {
			return nil, notServed("No schedule named %q is declared.", name)
		}
		t := &event.Tick{Schedule: name, Time: time.Now().UTC()}
		if v := r.Header.Get(SchedulerTimeHeader); v != "" {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, badEvent("%s %q is not an RFC 3339 time.", SchedulerTimeHeader, v)
			}
			t.Time = tm
			t.PastDue = a.opts.now().Sub(tm) > time.Minute
		}
		if err := event.Fire(ctx, s.Handler, t); err != nil {
			return nil, failed("The schedule", err)
		}
		return &handler.Response{Status: http.StatusNoContent}, nil
	case cloudEvent:
		m, err := decodeCloudEvent(r)
		if err != nil {
			return nil, err
		}
		return a.deliver(ctx, m, "")
	case pushEnvelope:
		m, sub, err := decodePushBody(r.Body)
		if err != nil {
			return nil, err
		}
		m.Queue = sub
		return a.deliver(ctx, m, strings.Trim(strings.TrimPrefix(r.Path, a.opts.pushPath), "/"))
	}
	return nil, badEvent("Not a trigger request.")
}

// deliver hands m to the consumer named by the push path, else to the
// consumer of its topic or subscription.
func (a *adapter) deliver(ctx context.Context, m *event.Message, consumer string) (*handler.Response, error) {
	var c *event.Consumer
	var ok bool
	if consumer != "" {
		if c, ok = a.app.ConsumerNamed(consumer); !ok {
			return nil, notServed("No consumer named %q is declared.", consumer)
		}
	} else if c, ok = a.app.ConsumerFor(m.Queue); !ok {
		return nil, notServed("No consumer is declared for %q.", m.Queue)
	}
	if err := event.Deliver(ctx, c.Handler, m); err != nil {
		return nil, failed("The message's consumer", err)
	}
	return &handler.Response{Status: http.StatusNoContent}, nil
}

// decodeCloudEvent reads a Pub/Sub messagePublished CloudEvent in binary
// mode (ce-* headers, the data as the body) or structured mode (the whole
// event as application/cloudevents+json). m.Queue is the topic
// ("projects/P/topics/T"), from ce-source.
func decodeCloudEvent(r *handler.Request) (*event.Message, error) {
	typ, source, data := r.Header.Get("Ce-Type"), r.Header.Get("Ce-Source"), r.Body
	if isStructuredCloudEvent(r.Header.Get("Content-Type")) {
		var err error
		if typ, source, data, err = structuredEvent(r.Body); err != nil {
			return nil, err
		}
	}
	if typ != PubSubEventType {
		return nil, badEvent("CloudEvent type %q is not served; this function serves %s.", typ, PubSubEventType)
	}
	m, sub, err := decodePushBody(data)
	if err != nil {
		return nil, err
	}
	m.Queue = strings.TrimPrefix(source, "//pubsub.googleapis.com/")
	if m.Queue == "" {
		m.Queue = sub
	}
	return m, nil
}

// structuredEvent reads type, source and data of a structured CloudEvent.
func structuredEvent(b []byte) (typ, source string, data []byte, err error) {
	s := jsonscan.New(unsafe.String(unsafe.SliceData(b), len(b)))
	it, ok := s.Open('{')
	if !ok {
		return "", "", nil, badEvent("The CloudEvent is not a JSON object.")
	}
	for {
		k, more, err := s.NextKey(&it)
		if err != nil {
			return "", "", nil, badEvent("The CloudEvent is not valid JSON: %v", err)
		}
		if !more {
			break
		}
		switch k {
		case "type", "source":
			v, err := s.Str()
			if err != nil {
				return "", "", nil, badEvent("The CloudEvent's %s must be a string.", k)
			}
			if k == "type" {
				typ = v
			} else {
				source = v
			}
		case "data":
			start := s.Pos()
			if err := s.Skip(); err != nil {
				return "", "", nil, badEvent("The CloudEvent is not valid JSON: %v", err)
			}
			data = b[start:s.Pos()]
		default:
			if err := s.Skip(); err != nil {
				return "", "", nil, badEvent("The CloudEvent is not valid JSON: %v", err)
			}
		}
	}
	if err := s.End(); err != nil {
		return "", "", nil, badEvent("The CloudEvent is not valid JSON: %v", err)
	}
	return typ, source, data, nil
}

// decodePushBody reads {"message":{"data","attributes","messageId",
// "publishTime"},"subscription","deliveryAttempt"}, the body of a push
// request and the data of a messagePublished CloudEvent.
func decodePushBody(b []byte) (*event.Message, string, error) {
	s := jsonscan.New(unsafe.String(unsafe.SliceData(b), len(b)))
	m := &event.Message{}
	var sub string
	it, ok := s.Open('{')
	if !ok {
		return nil, "", badEvent("The push body is not a JSON object.")
	}
	sawMessage := false
	for {
		k, more, err := s.NextKey(&it)
		if err != nil {
			return nil, "", badEvent("The push body is not valid JSON: %v", err)
		}
		if !more {
			break
		}
		switch k {
		case "message":
			sawMessage = true
			if err := decodeMessage(&s, m); err != nil {
				return nil, "", err
			}
		case "subscription":
			if sub, err = optStr(&s); err != nil {
				return nil, "", badEvent("subscription must be a string.")
			}
		case "deliveryAttempt":
			n, err := s.Number()
			if err != nil {
				return nil, "", badEvent("deliveryAttempt must be a number.")
			}
			if m.DeliveryCount, err = strconv.Atoi(n); err != nil || m.DeliveryCount < 0 {
				return nil, "", badEvent("deliveryAttempt %s is not a count.", n)
			}
		default:
			if err := s.Skip(); err != nil {
				return nil, "", badEvent("The push body is not valid JSON: %v", err)
			}
		}
	}
	if err := s.End(); err != nil {
		return nil, "", badEvent("The push body is not valid JSON: %v", err)
	}
	if !sawMessage || m.ID == "" {
		return nil, "", badEvent("The push body has no message with a messageId.")
	}
	return m, sub, nil
}

func optStr(s *jsonscan.Scanner) (string, error) {
	if isNull, err := s.Null(); isNull || err != nil {
		return "", err
	}
	return s.Str()
}

func decodeMessage(s *jsonscan.Scanner, m *event.Message) error {
	it, ok := s.Open('{')
	if !ok {
		return badEvent("message must be an object.")
	}
	for {
		k, more, err := s.NextKey(&it)
		if err != nil {
			return badEvent("The push body is not valid JSON: %v", err)
		}
		if !more {
			return nil
		}
		switch k {
		case "data":
			v, err := optStr(s)
			if err != nil {
				return badEvent("message.data must be a base64 string.")
			}
			if m.Body, err = base64.StdEncoding.DecodeString(v); err != nil {
				return badEvent("message.data is not base64.")
			}
		case "messageId", "message_id":
			if m.ID, err = optStr(s); err != nil {
				return badEvent("message.messageId must be a string.")
			}
		case "publishTime", "publish_time":
			v, err := optStr(s)
			if err != nil {
				return badEvent("message.publishTime must be a string.")
			}
			if v != "" {
				if m.EnqueuedAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
					return badEvent("message.publishTime %q is not an RFC 3339 time.", v)
				}
			}
		case "attributes":
			if isNull, err := s.Null(); isNull || err != nil {
				if err != nil {
					return badEvent("The push body is not valid JSON: %v", err)
				}
				continue
			}
			ait, ok := s.Open('{')
			if !ok {
				return badEvent("message.attributes must be an object.")
			}
			for {
				ak, more, err := s.NextKey(&ait)
				if err != nil {
					return badEvent("The push body is not valid JSON: %v", err)
				}
				if !more {
					break
				}
				v, err := s.Str()
				if err != nil {
					return badEvent("message.attributes.%s must be a string.", ak)
				}
				if m.Attributes == nil {
					m.Attributes = map[string]string{}
				}
				m.Attributes[ak] = v
			}
		default:
			if err := s.Skip(); err != nil {
				return badEvent("The push body is not valid JSON: %v", err)
			}
		}
	}
}
