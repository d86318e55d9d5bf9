package azuretest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"
)

// QueueTrigger describes a queueTrigger function whose queue the simulated
// host polls, as the Functions host's queue listener does with the
// documented defaults: batches of up to BatchSize messages, processed in
// parallel; the message text decoded from base64 (messageEncoding base64);
// a successful invocation deletes the message; a failed one makes it
// visible again after VisibilityTimeout, until its MaxDequeueCount-th
// failure, after which the host puts the message text in the poison queue
// and deletes it.
type QueueTrigger struct {
	// Function is the function's name, the path the host POSTs to.
	Function string
	// Binding is the trigger binding's name in Data; "" means "msg".
	Binding string
	// Queue is the queue to poll; Poison receives the messages that
	// failed MaxDequeueCount times (the host names it QUEUE-poison).
	Queue, Poison *azqueue.QueueClient
	// MaxDequeueCount is host.json's extensions.queues.maxDequeueCount;
	// 0 means the default, 5.
	MaxDequeueCount int64
	// BatchSize is extensions.queues.batchSize; 0 means the default, 16.
	BatchSize int32
	// VisibilityTimeout is extensions.queues.visibilityTimeout, the delay
	// before a failed message is visible again (default 0).
	VisibilityTimeout time.Duration
}

// RunQueueTrigger polls qt.Queue and invokes the handler with each
// message's queueTrigger payload until ctx ends; it returns ctx's error or
// the first error of the storage service. It panics if qt.Queue or
// qt.Poison is nil or qt.Function is empty.
func (h *Host) RunQueueTrigger(ctx context.Context, qt QueueTrigger) error {
	if qt.Queue == nil || qt.Poison == nil || qt.Function == "" {
		panic("azuretest: RunQueueTrigger needs QueueTrigger.Function, Queue and Poison")
	}
	if qt.Binding == "" {
		qt.Binding = "msg"
	}
	if qt.MaxDequeueCount == 0 {
		qt.MaxDequeueCount = 5
	}
	if qt.BatchSize == 0 {
		qt.BatchSize = 16
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		resp, err := qt.Queue.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{
			NumberOfMessages: &qt.BatchSize, VisibilityTimeout: ptr(int32(300))})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("azuretest: get messages: %w", err)
		}
		if len(resp.Messages) == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond): // the host's polling backs off; this one barely
			}
			continue
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(resp.Messages))
		for _, m := range resp.Messages {
			wg.Go(func() {
				if err := h.deliverQueueMessage(ctx, qt, m); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
	}
}

func ptr[T any](v T) *T { return &v }

func (h *Host) deliverQueueMessage(ctx context.Context, qt QueueTrigger, m *azqueue.DequeuedMessage) error {
	text := *m.MessageText
	if b, err := base64.StdEncoding.DecodeString(text); err == nil {
		text = string(b)
	} else {
		// The host fails such a message without invoking the function;
		// it ends in the poison queue.
		return h.failQueueMessage(ctx, qt, m)
	}
	now := time.Now().UTC()
	inv, err := h.invokeEnvelope(ctx, qt.Function, map[string]any{
		"Data": map[string]any{qt.Binding: text},
		"Metadata": map[string]any{
			"DequeueCount":    *m.DequeueCount,
			"ExpirationTime":  m.ExpirationTime.UTC().Format(time.RFC3339),
			"Id":              *m.MessageID,
			"InsertionTime":   m.InsertionTime.UTC().Format(time.RFC3339),
			"NextVisibleTime": m.TimeNextVisible.UTC().Format(time.RFC3339),
			"PopReceipt":      *m.PopReceipt,
			"sys":             sysMetadata(qt.Function, now),
		},
	})
	if err != nil {
		return err
	}
	if inv.StatusCode == http.StatusOK {
		_, err := qt.Queue.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil)
		return err
	}
	return h.failQueueMessage(ctx, qt, m)
}

// failQueueMessage does what the host does after a failed invocation.
func (h *Host) failQueueMessage(ctx context.Context, qt QueueTrigger, m *azqueue.DequeuedMessage) error {
	if *m.DequeueCount >= qt.MaxDequeueCount {
		if _, err := qt.Poison.EnqueueMessage(ctx, *m.MessageText, nil); err != nil {
			return fmt.Errorf("azuretest: put the message in the poison queue: %w", err)
		}
		_, err := qt.Queue.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil)
		return err
	}
	_, err := qt.Queue.UpdateMessage(ctx, *m.MessageID, *m.PopReceipt, *m.MessageText,
		&azqueue.UpdateMessageOptions{VisibilityTimeout: ptr(int32(qt.VisibilityTimeout / time.Second))})
	return err
}
