package idempotency_test

import (
	"context"
	"fmt"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/idempotency"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// A consumer of messages delivered at least once credits an account once
// per message ID: the credit and the message's record are one atomic
// write, so a redelivery replays the result instead of crediting again.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	records := idempotency.New(s)
	account := store.Key{Partition: "account/42", Sort: "balance"}
	if _, err := s.Put(ctx, &store.Item{Key: account, Data: map[string]any{"cents": 0}}); err != nil {
		panic(err)
	}

	consume := func(messageID string, cents int) string {
		claim, err := records.Begin(ctx, account.Partition, messageID, fmt.Sprint(cents))
		if err != nil {
			return "retry later: " + err.Error()
		}
		if claim.Done() {
			return fmt.Sprintf("already done: %v", claim.Result()["note"])
		}
		credit := store.UpdateOp(account, []store.FieldOp{store.Increment("cents", cents)})
		note := fmt.Sprintf("credited %d", cents)
		if err := claim.Commit(ctx, []store.Write{credit}, map[string]any{"note": note}); err != nil {
			claim.Release(ctx) // never frees a key whose credit was applied
			return "retry later: " + err.Error()
		}
		return note
	}

	fmt.Println(consume("msg-1", 250))
	fmt.Println(consume("msg-1", 250)) // redelivered
	fmt.Println(consume("msg-2", 100))
	it, _ := s.Get(ctx, account)
	fmt.Println("balance:", it.Data["cents"])
	// Output:
	// credited 250
	// already done: credited 250
	// credited 100
	// balance: 350
}
