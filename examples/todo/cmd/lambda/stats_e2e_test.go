package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/examples/todo/internal/statsproof"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/internal/sqsmapping"
)

// TestStatsOnLambdaEndToEnd is the stats proof (package statsproof) on
// Lambda: the example's own stats consumer (the worker behind GET /stats,
// idempotent through event.Dedupe) runs in a built function binary
// (statsproof/statsfunc) through the fake Runtime API, fed from moto's SQS
// the way an event source mapping with ReportBatchItemFailures feeds it:
// the test's poller receives batches of up to 10, invokes the function,
// deletes what the answer does not name in batchItemFailures and makes
// the rest visible again; the redrive policy (maxReceiveCount 5)
// dead-letters.
//
// The 500 events: 495 of a seeded history of five users' todos, 50 of
// whose first deliveries fail (before the consumer runs, after it
// committed, or by a panic after it committed), and 5 poison ones. GET
// /stats, asked through the same function as an HTTP API event, must
// equal the users' todos as the history left them; every event is
// acknowledged once and fails only as marked; the dead-letter queue holds
// exactly the 5 poison events.
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

	msgs, want := statsproof.History()
	for i := 0; i < len(msgs); i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j, m := range msgs[i : i+10] {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(string(m.Body))})
		}
		out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %v", err, out)
		}
	}

	bin := filepath.Join(t.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../../internal/statsproof/statsfunc").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := lambdatest.StartFunction(t, bin, "AWS_LAMBDA_FUNCTION_NAME=todo", "E2E_PLATFORM=lambda", "TODO_STORE_URL=mem://todos", "TODO_JWT_SECRET=", "TODO_JWKS_URL=",
		"TODO_API_KEYS="+statsproof.APIKeys(), "E2E_QUEUE="+name)

	// The poller: the event source mapping.
	acked := map[int]int{}
	failed := map[int]int{}
	invocations, err := sqsmapping.Drain(ctx, client, *q.QueueUrl, func(ctx context.Context, msgs []types.Message) ([]string, error) {
		var batch []lambdatest.SQSMessage
		for _, m := range msgs {
			n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
			batch = append(batch, lambdatest.SQSMessage{ID: *m.MessageId, Body: *m.Body, ReceiveCount: n})
		}
		res, err := f.Invoke(ctx, lambdatest.SQSEvent(arn, batch...), lambdatest.InvokeOptions{Deadline: 30 * time.Second})
		if err != nil {
			return nil, err
		}
		if res.Error != nil {
			return nil, fmt.Errorf("invocation failed: %+v", res.Error)
		}
		return lambdatest.BatchItemFailures(res.Payload)
	}, func(m types.Message, isFailed bool) {
		if isFailed {
			failed[seqOf(t, m)]++
		} else {
			acked[seqOf(t, m)]++
		}
	})
	if err != nil {
		t.Fatalf("%v (%d acknowledged)", err, len(acked))
	}

	failedFirst, problems := (&statsproof.Deliveries{Acked: acked, Failed: failed}).Check(msgs, 5)
	for _, p := range problems {
		t.Error(p)
	}

	// The stats, as GET /stats answers them through the function.
	for _, u := range statsproof.Users {
		req, _ := http.NewRequest("GET", "https://api.example.com/stats", nil)
		req.Header.Set("X-Api-Key", statsproof.APIKey(u))
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
	dead, err := sqsmapping.Empty(ctx, client, *dlq.QueueUrl)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range dead {
		if _, fault, err := statsproof.Decode([]byte(b)); err != nil || fault != "poison" {
			t.Errorf("dead-lettered: %s", b)
		}
	}
	if len(dead) != 5 {
		t.Errorf("the dead-letter queue holds %d messages, want the 5 poison events: %v", len(dead), dead)
	}
	f.Alive(t)
	t.Logf("500 events: %d invocations, %d first deliveries failed, %d dead-lettered; stats %+v", invocations, failedFirst, len(dead), want)
}

func statsQueueArn(t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	arn, err := sqsmapping.QueueARN(context.Background(), c, url)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

// seqOf returns the place in the history of a message received from SQS.
func seqOf(t *testing.T, m types.Message) int {
	t.Helper()
	seq, _, err := statsproof.Decode([]byte(*m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return seq
}
