package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/internal/emulator"
)

// TestStatsOnLambdaEndToEnd runs the example's own stats consumer (the
// worker behind GET /stats, idempotent through event.Dedupe) in a built
// function binary (internal/statsfunc: todo.NewApp plus a test-only fault
// middleware), fed from moto's SQS the way an event source mapping with
// ReportBatchItemFailures feeds it: the test's poller receives batches of
// up to 10, invokes the function through the Runtime API, deletes what the
// answer does not name in batchItemFailures and makes the rest visible
// again; the redrive policy (maxReceiveCount 5) dead-letters.
//
// 495 events of five users, a consistent history of creates, completes,
// reopens and deletes drawn from a fixed seed, and 5 poison events. The
// seed also picks 10% of the events whose first delivery fails: a third
// before the consumer runs, a third after it committed (a lost
// acknowledgement: the redelivery must change nothing) and a third by a
// panic after it committed. GET /stats, asked through the same function as
// an HTTP API event, must equal the users' todos as the history left them;
// every event is acknowledged once and fails only as marked; the
// dead-letter queue holds exactly the 5 poison events.
func TestStatsOnLambdaEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function binary and runs moto")
	}
	endpoint, stop, err := emulator.Launch(emulator.MotoSQS)
	emulator.Need(t, emulator.MotoSQS, err)
	t.Cleanup(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})

	name := fmt.Sprintf("todo-events-e2e-%d", time.Now().UnixNano()%1e9)
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + statsQueueArn(t, client, *dlq.QueueUrl) + `","maxReceiveCount":"5"}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	arn := statsQueueArn(t, client, *q.QueueUrl)

	// The history, and the stats it must leave.
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(19, 500))
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	type msg struct {
		body  string
		attrs map[string]string
	}
	var msgs []msg
	want := map[string]todo.Stats{}
	state := map[string]map[string]bool{} // user -> todo ID -> done
	for _, u := range users {
		state[u] = map[string]bool{}
	}
	for i := range 495 {
		u := users[rng.IntN(len(users))]
		todos := state[u]
		ev := todo.Event{User: "user/apikey:" + u, At: now.Add(-time.Duration(rng.IntN(3600)) * time.Second)}
		var ids []string
		for id := range todos {
			ids = append(ids, id)
		}
		// Sorted so that the seed alone decides the history.
		slices.Sort(ids)
		switch r := rng.IntN(10); {
		case len(ids) == 0 || r < 4:
			ev.Op, ev.ID = "create", fmt.Sprintf("t%03d", i)
			todos[ev.ID] = false
		default:
			ev.ID = ids[rng.IntN(len(ids))]
			switch done := todos[ev.ID]; {
			case r < 8 && !done:
				ev.Op, todos[ev.ID] = "complete", true
				st := want[u]
				st.CompletedToday++
				want[u] = st
			case r < 8:
				ev.Op, todos[ev.ID] = "reopen", false
			default:
				ev.Op, ev.Done = "delete", done
				delete(todos, ev.ID)
			}
		}
		b, _ := json.Marshal(ev)
		msgs = append(msgs, msg{body: string(b), attrs: map[string]string{"seq": strconv.Itoa(i)}})
	}
	for _, u := range users {
		st := want[u]
		for _, done := range state[u] {
			if done {
				st.Done++
			} else {
				st.Open++
			}
		}
		want[u] = st
	}
	modes := []string{"before", "after", "panic"}
	failFirst := map[string]bool{}
	for n, i := range rng.Perm(495)[:50] {
		msgs[i].attrs["e2e-fail"] = modes[n%3]
		failFirst[msgs[i].attrs["seq"]] = true
	}
	for i := range 5 {
		// Events that would change alice's stats if they were ever applied.
		b, _ := json.Marshal(todo.Event{Op: "create", User: "user/apikey:alice", ID: fmt.Sprintf("poison%d", i), At: now})
		msgs = append(msgs, msg{body: string(b), attrs: map[string]string{"seq": strconv.Itoa(495 + i), "e2e-poison": "1"}})
	}
	for i := 0; i < len(msgs); i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j, m := range msgs[i : i+10] {
			attrs := map[string]types.MessageAttributeValue{}
			for k, v := range m.attrs {
				attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
			}
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(m.body), MessageAttributes: attrs})
		}
		out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %v", err, out)
		}
	}

	bin := filepath.Join(t.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./internal/statsfunc").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keys := ""
	for _, u := range users {
		keys += u + ":" + statsKey(u) + ","
	}
	f := lambdatest.StartFunction(t, bin, "AWS_LAMBDA_FUNCTION_NAME=todo", "TODO_STORE_URL=mem://todos", "TODO_JWT_SECRET=", "TODO_JWKS_URL=",
		"TODO_API_KEYS="+keys[:len(keys)-1], "E2E_QUEUE="+name, "E2E_NOW="+now.Format(time.RFC3339))

	// The poller: the event source mapping.
	acked := map[string]int{}
	failed := map[string]int{}
	invocations := 0
	for empty := 0; empty < 3; {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"}})
		if err != nil {
			t.Fatalf("the queue did not drain (%d acknowledged): %v", len(acked), err)
		}
		if len(out.Messages) == 0 {
			empty++ // moto dead-letters a message on a receive past its limit
			continue
		}
		empty = 0
		var batch []lambdatest.SQSMessage
		byID := map[string]types.Message{}
		for _, m := range out.Messages {
			attrs := map[string]string{}
			for k, v := range m.MessageAttributes {
				attrs[k] = aws.ToString(v.StringValue)
			}
			n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
			batch = append(batch, lambdatest.SQSMessage{ID: *m.MessageId, Body: *m.Body, Attributes: attrs, ReceiveCount: n})
			byID[*m.MessageId] = m
		}
		res, err := f.Invoke(ctx, lambdatest.SQSEvent(arn, batch...), lambdatest.InvokeOptions{Deadline: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		invocations++
		if res.Error != nil {
			t.Fatalf("invocation failed: %+v", res.Error)
		}
		ids, err := lambdatest.BatchItemFailures(res.Payload)
		if err != nil {
			t.Fatal(err)
		}
		isFailed := map[string]bool{}
		var retry []types.ChangeMessageVisibilityBatchRequestEntry
		for i, id := range ids {
			m, ok := byID[id]
			if !ok {
				t.Fatalf("batchItemFailures names %q, not in the batch", id)
			}
			isFailed[id] = true
			failed[*m.MessageAttributes["seq"].StringValue]++
			retry = append(retry, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
		var del []types.DeleteMessageBatchRequestEntry
		for id, m := range byID {
			if !isFailed[id] {
				acked[*m.MessageAttributes["seq"].StringValue]++
				del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(len(del))), ReceiptHandle: m.ReceiptHandle})
			}
		}
		if len(del) > 0 {
			if out, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: del}); err != nil || len(out.Failed) > 0 {
				t.Fatalf("DeleteMessageBatch: %v %v", err, out)
			}
		}
		if len(retry) > 0 {
			// What the visibility timeout does, at once.
			if _, err := client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q.QueueUrl, Entries: retry}); err != nil {
				t.Fatal(err)
			}
		}
	}

	for i := range 495 {
		seq := strconv.Itoa(i)
		wantFailed := 0
		if failFirst[seq] {
			wantFailed = 1
		}
		if acked[seq] != 1 || failed[seq] != wantFailed {
			t.Errorf("event %s (%s): acknowledged %d times, failed %d; want 1 and %d", seq, msgs[i].body, acked[seq], failed[seq], wantFailed)
		}
	}
	for i := 495; i < 500; i++ {
		seq := strconv.Itoa(i)
		if acked[seq] != 0 || failed[seq] != 5 {
			t.Errorf("poison event %s: acknowledged %d times, failed %d; want 0 and 5", seq, acked[seq], failed[seq])
		}
	}

	// The stats, as GET /stats answers them through the function.
	for _, u := range users {
		req, _ := http.NewRequest("GET", "https://api.example.com/stats", nil)
		req.Header.Set("X-Api-Key", statsKey(u))
		payload, err := lambdatest.Event(lambdatest.V2, req, nil, "stats-"+u)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.Invoke(ctx, payload, lambdatest.InvokeOptions{Deadline: 30 * time.Second})
		if err != nil || res.Error != nil {
			t.Fatalf("GET /stats as %s: %v %+v", u, err, res)
		}
		resp, err := lambdatest.Response(lambdatest.V2, req, res.Payload)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		var got todo.Stats
		if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("GET /stats as %s: %d %s", u, resp.StatusCode, body)
		}
		if got != want[u] {
			t.Errorf("GET /stats as %s = %+v, want %+v", u, got, want[u])
		}
	}

	// The dead-letter queue holds exactly the 5 poison events.
	var dead []string
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			if m.MessageAttributes["e2e-poison"].StringValue == nil {
				t.Errorf("dead-lettered: %s", *m.Body)
			}
			dead = append(dead, *m.Body)
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: dlq.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(dead) != 5 {
		t.Errorf("the dead-letter queue holds %d messages, want the 5 poison events: %v", len(dead), dead)
	}
	f.Alive(t)
	t.Logf("500 events: %d invocations, %d first deliveries failed, %d dead-lettered; stats %+v", invocations, len(failFirst), len(dead), want)
}

func statsQueueArn(t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes[string(types.QueueAttributeNameQueueArn)]
}

// statsKey is the API key of the test's user u.
func statsKey(u string) string { return "e2e-stats-key-of-" + u }
