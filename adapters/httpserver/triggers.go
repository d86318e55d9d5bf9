package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/memqueue"
)

// Defaults of the trigger options.
const (
	// DefaultMaxDeliveries is how many times a failing message is
	// delivered before it moves to its dead-letter queue: the default of
	// an Azure queue's maxDequeueCount, and the redrive count the example's
	// SAM template sets.
	DefaultMaxDeliveries = 5
	// DefaultRetryDelay is how long a failed message stays invisible
	// before it is delivered again.
	DefaultRetryDelay = time.Second
	// DeadLetterSuffix names a consumer's dead-letter queue after its
	// queue, as Azure names a poison queue.
	DeadLetterSuffix = "-dlq"
)

// A TriggerOption configures [RunTriggers] (and the triggers [Serve] runs
// for an event.App, through [WithTriggerOptions]).
type TriggerOption func(*triggerOptions)

type triggerOptions struct {
	subs          map[string]consumerQueues
	broker        *memqueue.Broker
	maxDeliveries int
	retryDelay    time.Duration
	timeout       time.Duration
	logger        *slog.Logger
	now           func() time.Time
}

type consumerQueues struct {
	sub        *queue.Subscription
	deadLetter *queue.Queue
}

// WithSubscription makes the consumer named consumer pull from sub, and
// move a message that failed MaxDeliveries times to deadLetter (nil: the
// message is acknowledged and logged at Error instead).
func WithSubscription(consumer string, sub *queue.Subscription, deadLetter *queue.Queue) TriggerOption {
	return func(o *triggerOptions) { o.subs[consumer] = consumerQueues{sub, deadLetter} }
}

// WithBroker sets the memqueue broker that serves consumers without a
// [WithSubscription]: each pulls from the broker's queue named like its
// queue (its first event.Queues entry, else its name) and dead-letters to
// that name plus [DeadLetterSuffix]. The default is memqueue.Default(),
// the broker of mem:// URLs, so that a message sent to mem://todo-events
// anywhere in the process reaches the consumer of todo-events.
func WithBroker(b *memqueue.Broker) TriggerOption { return func(o *triggerOptions) { o.broker = b } }

// WithMaxDeliveries sets how many deliveries of a failing message are made
// before it moves to the dead-letter queue (default [DefaultMaxDeliveries]).
func WithMaxDeliveries(n int) TriggerOption {
	return func(o *triggerOptions) {
		if n > 0 {
			o.maxDeliveries = n
		}
	}
}

// WithRetryDelay sets how long a failed message waits before its next
// delivery (default [DefaultRetryDelay]; backends count whole seconds, so
// 0 redelivers at once).
func WithRetryDelay(d time.Duration) TriggerOption {
	return func(o *triggerOptions) { o.retryDelay = max(d, 0) }
}

// WithTriggerTimeout sets the deadline of each message's and tick's
// context (default: the server's request timeout, [DefaultTimeout]).
func WithTriggerTimeout(d time.Duration) TriggerOption {
	return func(o *triggerOptions) { o.timeout = d }
}

// WithClock sets the clock that decides whether a tick is late; the
// default (and nil) is time.Now.
func WithClock(now func() time.Time) TriggerOption {
	return func(o *triggerOptions) {
		if now != nil {
			o.now = now
		}
	}
}

// WithTriggerOptions passes options to the triggers [Serve] and
// [ListenAndServe] run when the handler is an event.App.
func WithTriggerOptions(opts ...TriggerOption) Option {
	return func(o *options) { o.triggers = append(o.triggers, opts...) }
}

// RunTriggers serves app's consumers and schedules in this process until
// ctx ends, as the cloud platforms do: each consumer pulls batches from its
// subscription and hands each message to its handler through
// event.Deliver, acknowledging it on success and giving it back after the
// retry delay on failure, until its MaxDeliveries-th failure moves it to
// the dead-letter queue; each schedule with an interval (event.Every) fires
// from a ticker, one tick at a time, a tick that waited for the previous
// run to end being PastDue. It returns nil when ctx ends, or an error at
// once when app's declarations are invalid or a queue cannot be opened.
func RunTriggers(ctx context.Context, app *event.App, opts ...TriggerOption) error {
	if err := app.Err(); err != nil {
		return fmt.Errorf("httpserver: the app's declarations are invalid: %w", err)
	}
	o := triggerOptions{subs: map[string]consumerQueues{}, maxDeliveries: DefaultMaxDeliveries,
		retryDelay: DefaultRetryDelay, timeout: DefaultTimeout, logger: slog.Default(), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.broker == nil {
		o.broker = memqueue.Default()
	}
	type job struct {
		c  event.Consumer
		cq consumerQueues
	}
	var jobs []job
	for _, c := range app.Consumers() {
		cq, ok := o.subs[c.Name]
		if !ok {
			name := event.QueueName(consumerQueue(c))
			sub, err := o.broker.OpenSubscription(ctx, name)
			if err != nil {
				return fmt.Errorf("httpserver: consumer %s: %w", c.Name, err)
			}
			dlq, err := o.broker.Open(ctx, name+DeadLetterSuffix)
			if err != nil {
				return fmt.Errorf("httpserver: consumer %s: %w", c.Name, err)
			}
			cq = consumerQueues{sub, dlq}
		}
		jobs = append(jobs, job{c, cq})
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { o.consume(ctx, j.c, j.cq) })
	}
	for _, s := range app.Schedules() {
		if s.Every > 0 {
			wg.Go(func() { o.tick(ctx, s) })
		}
	}
	wg.Wait()
	return nil
}

func consumerQueue(c event.Consumer) string {
	if len(c.Queues) > 0 {
		return c.Queues[0]
	}
	return c.Name
}

var localInvocation = &handler.Invocation{Platform: "http", Function: "local-triggers"}

func (o *triggerOptions) context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx = adapterkit.ContextWithInvocation(ctx, localInvocation)
	if o.timeout > 0 {
		return context.WithTimeout(ctx, o.timeout)
	}
	return context.WithCancel(ctx)
}

func (o *triggerOptions) consume(ctx context.Context, c event.Consumer, cq consumerQueues) {
	queueName := consumerQueue(c)
	for ctx.Err() == nil {
		msgs, err := cq.sub.Receive(ctx, queue.MaxReceive, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			o.logger.LogAttrs(ctx, slog.LevelWarn, "httpserver: receiving messages failed", slog.String("consumer", c.Name), slog.String("error", err.Error()))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for _, qm := range msgs {
			o.handle(ctx, c, cq, queueName, qm)
		}
	}
}

// settleCtx bounds an ack, nack or dead-lettering, which must happen even
// when the run is stopping.
func settleCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (o *triggerOptions) handle(ctx context.Context, c event.Consumer, cq consumerQueues, queueName string, qm *queue.Message) {
	m := &event.Message{ID: qm.ID, Body: qm.Body, Attributes: qm.Attributes, DeliveryCount: qm.DeliveryCount,
		EnqueuedAt: qm.EnqueueTime, Queue: queueName}
	mctx, cancel := o.context(ctx)
	err := event.Deliver(mctx, c.Handler, m)
	cancel()
	sctx, scancel := settleCtx(ctx)
	defer scancel()
	if err == nil {
		if aerr := cq.sub.Ack(sctx, qm); aerr != nil {
			o.logger.LogAttrs(ctx, slog.LevelWarn, "httpserver: ack failed; the message will be delivered again",
				slog.String("messageId", qm.ID), slog.String("error", aerr.Error()))
		}
		return
	}
	if qm.DeliveryCount < o.maxDeliveries {
		if nerr := cq.sub.Nack(sctx, o.retryDelay, qm); nerr != nil {
			o.logger.LogAttrs(ctx, slog.LevelWarn, "httpserver: nack failed; the message returns when its lease ends",
				slog.String("messageId", qm.ID), slog.String("error", nerr.Error()))
		}
		return
	}
	// The last delivery failed: dead-letter the message, then ack it.
	if cq.deadLetter == nil {
		o.logger.LogAttrs(ctx, slog.LevelError, "httpserver: message dropped after its last delivery failed (no dead-letter queue)",
			slog.String("consumer", c.Name), slog.String("messageId", qm.ID), slog.String("error", err.Error()))
	} else {
		if _, serr := cq.deadLetter.Send(sctx, &queue.Message{Body: qm.Body, Attributes: qm.Attributes}); serr != nil {
			// Keep it: it is delivered again when its lease ends.
			o.logger.LogAttrs(ctx, slog.LevelError, "httpserver: dead-lettering failed; the message stays in its queue",
				slog.String("messageId", qm.ID), slog.String("error", serr.Error()))
			return
		}
		o.logger.LogAttrs(ctx, slog.LevelWarn, "httpserver: message moved to the dead-letter queue",
			slog.String("consumer", c.Name), slog.String("messageId", qm.ID), slog.Int("deliveries", qm.DeliveryCount), slog.String("error", err.Error()))
	}
	if aerr := cq.sub.Ack(sctx, qm); aerr != nil && !errors.Is(aerr, context.Canceled) {
		o.logger.LogAttrs(ctx, slog.LevelWarn, "httpserver: ack after dead-lettering failed", slog.String("messageId", qm.ID), slog.String("error", aerr.Error()))
	}
}

func (o *triggerOptions) tick(ctx context.Context, s event.Schedule) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case at := <-t.C:
			tick := &event.Tick{Schedule: s.Name, Time: at, PastDue: o.now().Sub(at) >= s.Every/2}
			tctx, cancel := o.context(ctx)
			if err := event.Fire(tctx, s.Handler, tick); err != nil {
				o.logger.LogAttrs(ctx, slog.LevelError, "httpserver: schedule failed", slog.String("schedule", s.Name), slog.String("error", err.Error()))
			}
			cancel()
		}
	}
}

// WithTriggerLogger sets the logger of the triggers' own lines (failed
// acknowledgements, dead-lettered messages, failed ticks); the default is
// slog.Default(), and Serve passes its WithLogger.
func WithTriggerLogger(l *slog.Logger) TriggerOption {
	return func(o *triggerOptions) {
		if l != nil {
			o.logger = l
		}
	}
}
