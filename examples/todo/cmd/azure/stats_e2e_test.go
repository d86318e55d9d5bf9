package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/examples/todo/internal/statsproof"
	"github.com/anyfunc/anyfunc/internal/emulator"
)

// TestStatsOnAzureEndToEnd is the stats proof (package statsproof) on
// Azure Functions: the example's own stats consumer (the worker behind GET
// /stats, idempotent through event.Dedupe) runs in a built custom handler
// (statsproof/statsfunc) under the simulated host, which polls Azurite's
// queue and delivers queueTrigger payloads to the function todo-events,
// deleting a message on success, making it visible again on failure and
// moving it to QUEUE-poison after its 5th failed dequeue.
//
// The 500 events: 495 of a seeded history of five users' todos, 50 of
// whose first deliveries fail (before the consumer runs, after it
// committed, or by a panic after it committed), and 5 poison ones. Once
// the queue is empty: each event was acknowledged once and failed only as
// marked (the function counts its deliveries, at statsproof.AcksPath); GET
// /stats, asked through the host's HTTP trigger, must equal the users'
// todos as the history left them; the poison queue holds exactly the 5
// poison events.
func TestStatsOnAzureEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Azurite and a handler binary")
	}
	endpoint, stopAzurite, err := emulator.Launch(emulator.Azurite)
	emulator.Need(t, emulator.Azurite, err)
	t.Cleanup(stopAzurite)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cred, err := azqueue.NewSharedKeyCredential(emulator.AzuriteAccount, emulator.AzuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := azqueue.NewServiceClientWithSharedKeyCredential(endpoint, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("todo-events-%d", time.Now().UnixNano()%1e9)
	q, poison := svc.NewQueueClient(name), svc.NewQueueClient(name+"-poison")
	for _, c := range []*azqueue.QueueClient{q, poison} {
		if _, err := c.Create(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs, want := statsproof.History()
	for _, m := range msgs {
		// Base64, as queue/azurequeue sends and the trigger decodes.
		if _, err := q.EnqueueMessage(ctx, base64.StdEncoding.EncodeToString(m.Body), nil); err != nil {
			t.Fatal(err)
		}
	}

	bin := filepath.Join(t.TempDir(), "statsfunc")
	if out, err := exec.Command("go", "build", "-o", bin, "../../internal/statsproof/statsfunc").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	host, err := azuretest.Start(azuretest.Config{Binary: bin, Mode: azuretest.Payload, Env: []string{"E2E_PLATFORM=azure",
		"TODO_STORE_URL=mem://todos", "TODO_JWT_SECRET=", "TODO_JWKS_URL=", "TODO_API_KEYS=" + statsproof.APIKeys(), "E2E_QUEUE=" + name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("host logs:\n%v", host.Logs())
		}
	})

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- host.RunQueueTrigger(runCtx, azuretest.QueueTrigger{Function: todo.EventsConsumer, Queue: q, Poison: poison})
	}()
	// The poison events fail last (each after 5 dequeues): wait until the
	// poison queue holds 5 and the queue is empty.
	var dead []string
	for {
		resp, err := poison.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{NumberOfMessages: to(int32(32))})
		if err != nil {
			t.Fatalf("%d in the poison queue: %v", len(dead), err)
		}
		for _, m := range resp.Messages {
			b, _ := base64.StdEncoding.DecodeString(*m.MessageText)
			if _, fault, err := statsproof.Decode(b); err != nil || fault != "poison" {
				t.Errorf("in the poison queue: %s", b)
			}
			dead = append(dead, string(b))
			if _, err := poison.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil); err != nil {
				t.Fatal(err)
			}
		}
		props, err := q.GetProperties(ctx, nil)
		if err != nil {
			t.Fatalf("%d in the poison queue: %v", len(dead), err)
		}
		if len(dead) >= statsproof.Poison && *props.ApproximateMessagesCount == 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the host stopped: %v", err)
		case <-ctx.Done():
			t.Fatalf("%d in the poison queue, %d messages left: %v", len(dead), *props.ApproximateMessagesCount, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if len(dead) != statsproof.Poison {
		t.Errorf("the poison queue holds %d messages, want the %d poison events: %v", len(dead), statsproof.Poison, dead)
	}

	// The deliveries, as the function counted them.
	req, _ := http.NewRequestWithContext(ctx, "GET", host.Endpoint()+"/api"+statsproof.AcksPath, nil)
	req.Header.Set("X-Api-Key", statsproof.APIKey("alice"))
	resp, err := host.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	var got statsproof.Deliveries
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", statsproof.AcksPath, resp.StatusCode, err)
	}
	resp.Body.Close()
	failedFirst, problems := got.Check(msgs, 5)
	for _, p := range problems {
		t.Error(p)
	}

	// The stats, as GET /stats answers them through the host.
	for _, u := range statsproof.Users {
		req, _ := http.NewRequestWithContext(ctx, "GET", host.Endpoint()+"/api/stats", nil)
		req.Header.Set("X-Api-Key", statsproof.APIKey(u))
		resp, err := host.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got todo.Stats
		if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("GET /stats as %s: %d %s", u, resp.StatusCode, body)
		}
		if got != want[u] {
			t.Errorf("GET /stats as %s = %+v, want %+v", u, got, want[u])
		}
	}
	t.Logf("500 events, %d first deliveries failed, %d dead-lettered; stats %+v", failedFirst, len(dead), want)
}

func to[T any](v T) *T { return &v }
