package awslambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// MaxSQSBatch is the most records the adapter accepts in one SQS event
// (an event source mapping's largest batch is 10,000).
const MaxSQSBatch = 10000

// sqsRecord is one decoded SQS record. err, when set, says why the record
// is malformed: it fails without reaching a consumer.
type sqsRecord struct {
	msg  event.Message
	fifo bool
	err  error
}

// sqsBatch is a decoded SQS event. It is pooled: its records are reused.
type sqsBatch struct {
	records []sqsRecord
	source  string // eventSource (or EventSource) of the first record
	out     []byte
}

var batchPool = sync.Pool{New: func() any { return new(sqsBatch) }}

func (b *sqsBatch) release() {
	if cap(b.records) > 64 {
		b.records = nil
	}
	clear(b.records)
	b.records = b.records[:0]
	b.source = ""
	if cap(b.out) > 4096 {
		b.out = nil
	}
	b.out = b.out[:0]
	batchPool.Put(b)
}

// parse reads the Records array. JSON syntax errors abort the event; a
// member of the wrong type or value makes its record malformed only.
func (b *sqsBatch) parse(d *scanner) error {
	it, err := d.array("Records")
	if err != nil {
		return err
	}
	for {
		ok, err := d.More(&it)
		if err != nil || !ok {
			return err
		}
		if len(b.records) >= MaxSQSBatch {
			return fmt.Errorf("%w: more than %d records", ErrMalformedEvent, MaxSQSBatch)
		}
		b.records = append(b.records, sqsRecord{})
		r := &b.records[len(b.records)-1]
		if err := r.parse(d, b); err != nil {
			return err
		}
	}
}

// bad records the first problem of a record.
func (r *sqsRecord) bad(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrMalformedEvent, fmt.Sprintf(format, args...))
	}
}

// str reads a string member, or marks the record malformed and skips the
// value.
func (r *sqsRecord) str(d *scanner, field string) (string, error) {
	switch d.Peek() {
	case '"':
		return d.Str()
	case 'n':
		return "", d.Literal("null")
	}
	r.bad("record member %s: want string, got %s", field, d.Kind())
	return "", d.Skip()
}

func (r *sqsRecord) parse(d *scanner, b *sqsBatch) error {
	if d.Peek() != '{' {
		r.bad("record: want object, got %s", d.Kind())
		return d.Skip()
	}
	it, _ := d.Open('{')
	var arn, source string
	for {
		key, ok, err := d.NextKey(&it)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch key {
		case "messageId":
			r.msg.ID, err = r.str(d, key)
		case "body":
			var s string
			s, err = r.str(d, key)
			// The scanner's source is this invocation's own copy of the
			// payload, never reused: the body can share it.
			r.msg.Body = unsafe.Slice(unsafe.StringData(s), len(s))
		case "eventSourceARN":
			arn, err = r.str(d, key)
		case "eventSource", "EventSource":
			source, err = r.str(d, key)
		case "attributes":
			err = r.parseAttributes(d)
		case "messageAttributes":
			err = r.parseMessageAttributes(d)
		default:
			err = d.Skip()
		}
		if err != nil {
			return err
		}
	}
	if b.source == "" {
		b.source = source
	}
	r.msg.Queue = arn
	r.fifo = strings.HasSuffix(arn, ".fifo")
	if r.msg.ID == "" {
		r.bad("record without messageId")
	} else if arn == "" {
		r.bad("record %s without eventSourceARN", r.msg.ID)
	}
	return nil
}

func (r *sqsRecord) setAttr(k, v string) {
	if r.msg.Attributes == nil {
		r.msg.Attributes = make(map[string]string, 4)
	}
	r.msg.Attributes[k] = v
}

// parseAttributes reads the system attributes the Message carries.
func (r *sqsRecord) parseAttributes(d *scanner) error {
	if d.Peek() != '{' {
		if isNull, err := d.Null(); isNull || err != nil {
			return err
		}
		r.bad("record member attributes: want object, got %s", d.Kind())
		return d.Skip()
	}
	it, _ := d.Open('{')
	for {
		key, ok, err := d.NextKey(&it)
		if err != nil || !ok {
			return err
		}
		var v string
		if v, err = r.str(d, "attributes."+key); err != nil {
			return err
		}
		switch key {
		case "ApproximateReceiveCount":
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 {
				r.bad("attributes.ApproximateReceiveCount %q is not a count", v)
			}
			r.msg.DeliveryCount = n
		case "SentTimestamp":
			ms, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || ms < 0 {
				r.bad("attributes.SentTimestamp %q is not milliseconds since the epoch", v)
			} else {
				r.msg.EnqueuedAt = time.UnixMilli(ms).UTC()
			}
		case "AWSTraceHeader", "MessageGroupId", "MessageDeduplicationId":
			r.setAttr(key, v)
		}
	}
}

// parseMessageAttributes reads the message attributes: String and Number
// ones (and their custom subtypes, "String.x") become Attributes; Binary
// ones are left out (Message.Attributes holds strings).
func (r *sqsRecord) parseMessageAttributes(d *scanner) error {
	if d.Peek() != '{' {
		if isNull, err := d.Null(); isNull || err != nil {
			return err
		}
		r.bad("record member messageAttributes: want object, got %s", d.Kind())
		return d.Skip()
	}
	it, _ := d.Open('{')
	for {
		name, ok, err := d.NextKey(&it)
		if err != nil || !ok {
			return err
		}
		if d.Peek() != '{' {
			r.bad("messageAttributes.%s: want object, got %s", name, d.Kind())
			if err := d.Skip(); err != nil {
				return err
			}
			continue
		}
		vit, _ := d.Open('{')
		var val, typ string
		hasVal := false
		for {
			key, ok, err := d.NextKey(&vit)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			switch key {
			case "stringValue":
				hasVal = d.Peek() == '"'
				val, err = r.str(d, "messageAttributes."+name+".stringValue")
			case "dataType":
				typ, err = r.str(d, "messageAttributes."+name+".dataType")
			case "binaryValue":
				var s string
				if s, err = r.str(d, "messageAttributes."+name+".binaryValue"); err == nil && s != "" {
					if _, derr := base64.StdEncoding.DecodeString(s); derr != nil {
						r.bad("messageAttributes.%s.binaryValue is not base64", name)
					}
				}
			default:
				err = d.Skip()
			}
			if err != nil {
				return err
			}
		}
		base, _, _ := strings.Cut(typ, ".")
		switch base {
		case "String", "Number":
			if !hasVal {
				r.bad("messageAttributes.%s of type %s without stringValue", name, typ)
				continue
			}
			r.setAttr(name, val)
		case "Binary":
		default:
			r.bad("messageAttributes.%s has dataType %q", name, typ)
		}
	}
}

// serveSQS delivers each record to the consumer of its queue and answers
// batchItemFailures naming exactly the records that failed. On a FIFO
// queue it stops at the first failure and reports it and every later
// record, so that the group's order is kept.
func (h *Handler) serveSQS(ctx context.Context, b *sqsBatch) ([]byte, error) {
	// Resolve every record's consumer first: a queue without one is a
	// deployment mistake, reported for the whole invocation.
	var last *event.Consumer
	lastQueue := ""
	cons := consumersPool(len(b.records))
	defer putConsumers(cons)
	for i := range b.records {
		r := &b.records[i]
		if r.err != nil {
			continue
		}
		if last == nil || r.msg.Queue != lastQueue {
			c, ok := h.app.ConsumerFor(r.msg.Queue)
			if !ok {
				return nil, fmt.Errorf("%w: no consumer declared for SQS queue %s (declare one named %q or with event.Queues)", ErrNotServed, r.msg.Queue, event.QueueName(r.msg.Queue))
			}
			last, lastQueue = c, r.msg.Queue
		}
		(*cons)[i] = last
	}
	out := append(b.out, `{"batchItemFailures":[`...)
	failed := 0
	stopped := false
	for i := range b.records {
		r := &b.records[i]
		err := r.err
		switch {
		case stopped:
			err = errFIFOStopped
		case err == nil:
			err = event.Deliver(ctx, (*cons)[i].Handler, &r.msg)
		}
		if err == nil {
			continue
		}
		if r.msg.ID == "" {
			// batchItemFailures cannot name it: only failing the whole
			// invocation has it (and the batch) redelivered.
			return nil, fmt.Errorf("%w: a record without messageId failed: %v", ErrMalformedEvent, err)
		}
		if r.err != nil {
			// The handler's own failures are its to log (the logging
			// middleware does); a record the adapter refused is logged here.
			handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "awslambda: malformed SQS record failed; reported in batchItemFailures",
				slog.String("messageId", r.msg.ID), slog.String("queue", r.msg.Queue), slog.String("error", r.err.Error()))
		}
		if r.fifo {
			stopped = true
		}
		if failed > 0 {
			out = append(out, ',')
		}
		failed++
		out = append(out, `{"itemIdentifier":`...)
		out = jsonscan.AppendString(out, r.msg.ID)
		out = append(out, '}')
	}
	out = append(out, "]}"...)
	b.out = out
	return append([]byte(nil), out...), nil
}

// errFIFOStopped marks the records of a FIFO batch after its first failure.
var errFIFOStopped = errors.New("awslambda: not delivered after an earlier failure in a FIFO batch")

var consPool = sync.Pool{New: func() any { s := make([]*event.Consumer, 0, 16); return &s }}

func consumersPool(n int) *[]*event.Consumer {
	p := consPool.Get().(*[]*event.Consumer)
	if cap(*p) < n {
		*p = make([]*event.Consumer, n)
	}
	*p = (*p)[:n]
	return p
}

func putConsumers(p *[]*event.Consumer) {
	clear(*p)
	consPool.Put(p)
}
