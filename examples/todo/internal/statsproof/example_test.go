package statsproof_test

import (
	"fmt"

	"github.com/anyfunc/anyfunc/examples/todo/internal/statsproof"
)

// The history: 500 messages, 50 of whose first deliveries fail and 5 of
// which are poison.
func ExampleHistory() {
	msgs, want := statsproof.History()
	faults := map[string]int{}
	for _, m := range msgs {
		if _, fault, err := statsproof.Decode(m.Body); err == nil && fault == m.Fault {
			faults[fault]++
		}
	}
	fmt.Println(len(msgs), faults["before"]+faults["after"]+faults["panic"], faults["poison"], len(want))
	// Output: 500 50 5 5
}
