package event

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// ErrInvalidDeclaration is the kind of the error [App.Err] reports for a
// declaration the App refused (an empty or duplicate name, a nil handler,
// a bad schedule).
var ErrInvalidDeclaration = errors.New("event: invalid declaration")

// App declares what one program serves: an HTTP handler, named message
// consumers and named schedules. Declare everything before an adapter
// serves the App; it is then read-only and safe for concurrent use.
//
// App implements handler.Handler by serving its HTTP handler, so it can be
// passed to any adapter; the adapters that serve triggers recognise it with
// [FromHandler]. Declaration errors are collected and reported by
// [App.Err], which the adapters' constructors return.
type App struct {
	http      handler.Handler
	consumers []Consumer
	schedules []Schedule
	msgMW     []MessageMiddleware
	tickMW    []TickMiddleware
	errs      []error

	once    sync.Once
	serving bool
}

// Consumer is a declared message consumer.
type Consumer struct {
	// Name is the consumer's name: the Azure function's name, and the
	// queue it consumes when no Queues are declared.
	Name string
	// Handler is the consumer, wrapped by the App's message middleware
	// when returned by [App.Consumers] or [App.ConsumerFor].
	Handler MessageHandler
	// Queues are the queues the consumer serves (see [Queues]).
	Queues []string
	// Connection names the Azure app setting holding the storage
	// connection string (see [Connection]).
	Connection string
}

// Schedule is a declared schedule.
type Schedule struct {
	// Name is the schedule's name: the Azure function's name, the
	// EventBridge rule's or Cloud Scheduler job's name.
	Name string
	// Handler is the schedule's handler, wrapped by the App's tick
	// middleware when returned by [App.Schedules] or [App.ScheduleFor].
	Handler ScheduleHandler
	// Every is the interval a local run fires the schedule at.
	Every time.Duration
	// Cron is the six-field NCRONTAB expression (second minute hour day
	// month weekday) an Azure timerTrigger uses; derived from Every when
	// not declared.
	Cron string
}

// A ConsumerOption configures a consumer declared with [App.Consume].
type ConsumerOption func(*Consumer)

// Queues names the queues a consumer serves. A bare name ("todo-events")
// matches a queue of that name wherever it is (the last segment of an SQS
// ARN or URL, of a Pub/Sub topic or subscription, an Azure queue); a full
// identifier (an ARN, "projects/P/topics/T") matches only itself. Empty
// values are ignored, so a name read from an unset environment variable
// adds nothing. Without Queues a consumer serves the queue named like it.
func Queues(names ...string) ConsumerOption {
	return func(c *Consumer) {
		for _, n := range names {
			if n = strings.TrimSpace(n); n != "" {
				c.Queues = append(c.Queues, n)
			}
		}
	}
}

// Connection names the Azure app setting holding the storage account
// connection string of the consumer's queue; the default is
// "AzureWebJobsStorage".
func Connection(setting string) ConsumerOption {
	return func(c *Consumer) { c.Connection = setting }
}

// A ScheduleOption configures a schedule declared with [App.Schedule].
type ScheduleOption func(*Schedule)

// Every sets the interval of a schedule. Local runs fire at this
// interval; the Azure timer's NCRONTAB expression is derived from it unless
// [Cron] sets one (intervals of whole seconds, minutes or hours that divide
// a minute, an hour or a day).
func Every(d time.Duration) ScheduleOption { return func(s *Schedule) { s.Every = d } }

// Cron sets the six-field NCRONTAB expression of the Azure timerTrigger
// ("0 0 * * * *" is hourly).
func Cron(expr string) ScheduleOption { return func(s *Schedule) { s.Cron = expr } }

// NewApp returns an App serving h over HTTP; h may be nil for an app that
// serves only messages and schedules, whose HTTP requests are answered 404.
func NewApp(h handler.Handler) *App { return &App{http: h} }

// FromHandler returns the App h is, if it is one. Adapters call it to find
// the triggers a handler.Handler declares.
func FromHandler(h handler.Handler) (*App, bool) {
	a, ok := h.(*App)
	return a, ok && a != nil
}

// ServeRequest serves r with the App's HTTP handler, or answers 404 when
// it has none.
func (a *App) ServeRequest(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	if a.http == nil {
		return nil, handler.NewError(http.StatusNotFound, "not_found", "this app serves no HTTP requests")
	}
	return a.http.ServeRequest(ctx, r)
}

// HTTP returns the App's HTTP handler, or nil.
func (a *App) HTTP() handler.Handler { return a.http }

func (a *App) refuse(format string, args ...any) {
	a.errs = append(a.errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidDeclaration}, args...)...))
}

func (a *App) declaring(what, name string) bool {
	if a.serving {
		a.refuse("%s %q declared after the app started serving", what, name)
		return false
	}
	if name == "" || strings.ContainsAny(name, "/\\ ") {
		a.refuse("%s name %q must be non-empty without '/', '\\' or spaces", what, name)
		return false
	}
	for _, c := range a.consumers {
		if c.Name == name {
			a.refuse("%s %q: a consumer has that name", what, name)
			return false
		}
	}
	for _, s := range a.schedules {
		if s.Name == name {
			a.refuse("%s %q: a schedule has that name", what, name)
			return false
		}
	}
	return true
}

// Consume declares a message consumer. Names are unique across consumers
// and schedules (each becomes a function on Azure).
func (a *App) Consume(name string, h MessageHandler, opts ...ConsumerOption) {
	if !a.declaring("consumer", name) {
		return
	}
	if h == nil {
		a.refuse("consumer %q has a nil handler", name)
		return
	}
	c := Consumer{Name: name, Handler: h, Connection: "AzureWebJobsStorage"}
	for _, o := range opts {
		o(&c)
	}
	a.consumers = append(a.consumers, c)
}

// Schedule declares a schedule.
func (a *App) Schedule(name string, h ScheduleHandler, opts ...ScheduleOption) {
	if !a.declaring("schedule", name) {
		return
	}
	if h == nil {
		a.refuse("schedule %q has a nil handler", name)
		return
	}
	s := Schedule{Name: name, Handler: h}
	for _, o := range opts {
		o(&s)
	}
	if s.Every < 0 {
		a.refuse("schedule %q has a negative interval", name)
		return
	}
	if s.Cron == "" && s.Every > 0 {
		cron, ok := cronFor(s.Every)
		if !ok {
			a.refuse("schedule %q: no NCRONTAB expression fires every %s; set one with Cron", name, s.Every)
			return
		}
		s.Cron = cron
	}
	if s.Cron != "" && len(strings.Fields(s.Cron)) != 6 {
		a.refuse("schedule %q: NCRONTAB expression %q does not have six fields", name, s.Cron)
		return
	}
	a.schedules = append(a.schedules, s)
}

// cronFor returns the NCRONTAB expression firing every d, for intervals
// that divide a minute, an hour or a day evenly.
func cronFor(d time.Duration) (string, bool) {
	every := func(n time.Duration) string {
		if n == 1 {
			return "*"
		}
		return fmt.Sprintf("*/%d", n)
	}
	switch {
	case d%time.Hour == 0 && 24*time.Hour%d == 0:
		return "0 0 " + every(d/time.Hour) + " * * *", true
	case d%time.Minute == 0 && time.Hour%d == 0:
		return "0 " + every(d/time.Minute) + " * * * *", true
	case d%time.Second == 0 && time.Minute%d == 0:
		return every(d/time.Second) + " * * * * *", true
	}
	return "", false
}

// UseMessages adds middleware around every consumer, the first outermost.
func (a *App) UseMessages(mws ...MessageMiddleware) {
	if a.serving {
		a.refuse("message middleware added after the app started serving")
		return
	}
	a.msgMW = append(a.msgMW, mws...)
}

// UseTicks adds middleware around every schedule, the first outermost.
func (a *App) UseTicks(mws ...TickMiddleware) {
	if a.serving {
		a.refuse("tick middleware added after the app started serving")
		return
	}
	a.tickMW = append(a.tickMW, mws...)
}

// Err reports the declarations the App refused, joined, or nil.
func (a *App) Err() error { return errors.Join(a.errs...) }

// freeze wraps the handlers with the middleware once, when an adapter
// first asks for them; later declarations are refused.
func (a *App) freeze() {
	a.once.Do(func() {
		a.serving = true
		for i := range a.consumers {
			a.consumers[i].Handler = ChainMessages(a.consumers[i].Handler, a.msgMW...)
		}
		for i := range a.schedules {
			a.schedules[i].Handler = ChainTicks(a.schedules[i].Handler, a.tickMW...)
		}
	})
}

// Consumers returns the declared consumers, their handlers wrapped by the
// App's middleware.
func (a *App) Consumers() []Consumer {
	a.freeze()
	return append([]Consumer(nil), a.consumers...)
}

// Schedules returns the declared schedules, their handlers wrapped by the
// App's middleware.
func (a *App) Schedules() []Schedule {
	a.freeze()
	return append([]Schedule(nil), a.schedules...)
}

// ConsumerFor returns the consumer serving queue, an identifier as the
// platform delivers it (an SQS ARN, a Pub/Sub topic or subscription, an
// Azure queue name): the first consumer declaring queue itself among its
// [Queues], else the first whose bare queue names (its own name when it
// declares none) include queue's last segment ([QueueName]).
func (a *App) ConsumerFor(queue string) (*Consumer, bool) {
	a.freeze()
	for i := range a.consumers {
		for _, q := range a.consumers[i].Queues {
			if q == queue {
				return &a.consumers[i], true
			}
		}
	}
	name := QueueName(queue)
	if name == "" {
		return nil, false
	}
	for i := range a.consumers {
		c := &a.consumers[i]
		if len(c.Queues) == 0 {
			if c.Name == name {
				return c, true
			}
			continue
		}
		for _, q := range c.Queues {
			if q == name {
				return c, true
			}
		}
	}
	return nil, false
}

// ConsumerNamed returns the consumer declared under name.
func (a *App) ConsumerNamed(name string) (*Consumer, bool) {
	a.freeze()
	for i := range a.consumers {
		if a.consumers[i].Name == name {
			return &a.consumers[i], true
		}
	}
	return nil, false
}

// ScheduleNamed returns the schedule declared under name.
func (a *App) ScheduleNamed(name string) (*Schedule, bool) {
	a.freeze()
	for i := range a.schedules {
		if a.schedules[i].Name == name {
			return &a.schedules[i], true
		}
	}
	return nil, false
}

// QueueName returns the last segment of a queue identifier: "q" for
// "arn:aws:sqs:eu-west-1:123456789012:q", "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
// "projects/p/topics/q" or "q".
func QueueName(id string) string {
	id = strings.TrimRight(id, "/")
	if i := strings.LastIndexAny(id, ":/"); i >= 0 {
		return id[i+1:]
	}
	return id
}
