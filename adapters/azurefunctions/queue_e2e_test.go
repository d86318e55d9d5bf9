package azurefunctions_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
	"github.com/anyfunc/anyfunc/internal/emulator"
)

// TestQueueTriggerEndToEnd puts 500 messages in an Azurite queue; the
// simulated Functions host polls it as the queue listener does and invokes
// a custom handler built with the adapter with each message's queueTrigger
// payload, deleting a message on success and, on failure, making it
// visible again until its fifth failure moves it to the poison queue. The
// handler fails the first delivery of about 10% of the messages (half by
// panicking) and every delivery of 5 poison messages: every other message
// is processed exactly once, and the poison queue holds exactly the 5.
func TestQueueTriggerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Azurite and a handler binary")
	}
	endpoint, stopAzurite, err := emulator.Launch(emulator.Azurite)
	emulator.Need(t, emulator.Azurite, err)
	t.Cleanup(stopAzurite)
	ctx := context.Background()
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

	var mu sync.Mutex
	reports := map[string]int{}
	reporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reports[string(b)]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(reporter.Close)

	bin := filepath.Join(t.TempDir(), "queuefunc")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/queuefunc").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	host, err := azuretest.Start(azuretest.Config{Binary: bin, Mode: azuretest.Payload, Env: []string{"REPORT_URL=" + reporter.URL, "E2E_QUEUE=" + name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)

	var bodies []string
	for i := range 495 {
		bodies = append(bodies, fmt.Sprintf("message-%03d", i))
	}
	for i := range 5 {
		bodies = append(bodies, fmt.Sprintf("poison-%d", i))
	}
	for _, b := range bodies {
		// Base64, as queue/azurequeue sends a message without attributes
		// and as the queue trigger decodes it by default.
		if _, err := q.EnqueueMessage(ctx, base64.StdEncoding.EncodeToString([]byte(b)), nil); err != nil {
			t.Fatal(err)
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- host.RunQueueTrigger(runCtx, azuretest.QueueTrigger{Function: "todo-events", Queue: q, Poison: poison})
	}()
	var dead []string
	deadline := time.Now().Add(4 * time.Minute)
	for len(dead) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("after 4 minutes: %d processed, %d in the poison queue", len(reports), len(dead))
		}
		resp, err := poison.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{NumberOfMessages: ptr(int32(32))})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.Messages {
			b, _ := base64.StdEncoding.DecodeString(*m.MessageText)
			dead = append(dead, string(b))
			poison.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil)
		}
		if len(resp.Messages) == 0 {
			select {
			case err := <-done:
				t.Fatalf("the host stopped: %v", err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	// The poison messages are the last to finish: wait until the queue is
	// empty too.
	for {
		props, err := q.GetProperties(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := len(reports)
		mu.Unlock()
		if *props.ApproximateMessagesCount == 0 && n >= 495 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 4 minutes: %d processed, %d messages left", n, *props.ApproximateMessagesCount)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	firstFailures := 0
	for _, b := range bodies[:495] {
		if reports[b] != 1 {
			t.Errorf("%s processed %d times", b, reports[b])
		}
		h := fnv.New32a()
		h.Write([]byte(b))
		if r := h.Sum32() % 20; r == 0 || r == 10 {
			firstFailures++
		}
	}
	if len(dead) != 5 || strings.Contains(strings.Join(dead, ","), "message-") {
		t.Errorf("poison queue holds %v, want the 5 poison messages", dead)
	}
	logs := strings.Join(host.Logs(), "\n")
	if !strings.Contains(logs, "poison message") || !strings.Contains(logs, "first delivery panics") {
		t.Errorf("the handler's answers did not carry the failures in Logs:\n%.2000s", logs)
	}
	t.Logf("500 messages: %d failed their first delivery, %d moved to the poison queue", firstFailures, len(dead))
}

func ptr[T any](v T) *T { return &v }
