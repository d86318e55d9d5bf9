// Package sqsmapping plays what a Lambda event source mapping with
// ReportBatchItemFailures does with an SQS queue, for end-to-end tests that
// feed a function from moto: receive batches of up to 10, invoke, delete
// what succeeded, and make what failed visible again at once. It is
// internal to this module, for tests.
package sqsmapping

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Invoke runs the function on one received batch and returns the message
// IDs its answer names in batchItemFailures.
type Invoke func(ctx context.Context, batch []types.Message) (failed []string, err error)

// Settled is told, for each message of a batch, whether the function
// failed it.
type Settled func(m types.Message, failed bool)

// Drain polls queueURL until three receives in a row come back empty (moto
// dead-letters a message on the receive past its maxReceiveCount, so an
// empty receive is not yet the end), invoking invoke on each batch. It
// returns the number of invocations. A batchItemFailures entry naming a
// message not in the batch is an error.
func Drain(ctx context.Context, c *sqs.Client, queueURL string, invoke Invoke, settled Settled) (int, error) {
	invocations := 0
	for empty := 0; empty < 3; {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"}})
		if err != nil {
			return invocations, fmt.Errorf("the queue did not drain: %w", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		ids, err := invoke(ctx, out.Messages)
		if err != nil {
			return invocations, err
		}
		invocations++
		byID := map[string]types.Message{}
		for _, m := range out.Messages {
			byID[*m.MessageId] = m
		}
		isFailed := map[string]bool{}
		var retry []types.ChangeMessageVisibilityBatchRequestEntry
		for i, id := range ids {
			m, ok := byID[id]
			if !ok {
				return invocations, fmt.Errorf("batchItemFailures names %q, not in the batch", id)
			}
			isFailed[id] = true
			settled(m, true)
			retry = append(retry, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
		var del []types.DeleteMessageBatchRequestEntry
		for id, m := range byID {
			if !isFailed[id] {
				settled(m, false)
				del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(len(del))), ReceiptHandle: m.ReceiptHandle})
			}
		}
		if len(del) > 0 {
			if out, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: del}); err != nil || len(out.Failed) > 0 {
				return invocations, fmt.Errorf("DeleteMessageBatch: %v %v", err, out)
			}
		}
		if len(retry) > 0 {
			// What the visibility timeout does, at once.
			if _, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(queueURL), Entries: retry}); err != nil {
				return invocations, err
			}
		}
	}
	return invocations, nil
}

// Empty receives and deletes every message of queueURL (a dead-letter
// queue, say) and returns their bodies.
func Empty(ctx context.Context, c *sqs.Client, queueURL string) ([]string, error) {
	var bodies []string
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			return bodies, err
		}
		if len(out.Messages) == 0 {
			return bodies, nil
		}
		for _, m := range out.Messages {
			bodies = append(bodies, *m.Body)
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return bodies, err
			}
		}
	}
}

// QueueARN returns the ARN of the queue at url.
func QueueARN(ctx context.Context, c *sqs.Client, url string) (string, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	return out.Attributes[string(types.QueueAttributeNameQueueArn)], nil
}
