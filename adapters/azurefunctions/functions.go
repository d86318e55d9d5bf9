package azurefunctions

import (
	"encoding/json"

	"github.com/anyfunc/anyfunc/handler/event"
)

// Binding names of the functions [FunctionJSON] describes. The adapter
// reads whichever binding the host sends; these are what it writes.
const (
	QueueBinding = "msg"
	TimerBinding = "timer"
)

// FunctionJSON returns the function.json of each consumer and schedule
// app declares, keyed by function name (the folder to write it in): a
// queueTrigger on the consumer's queue (its first declared queue, else its
// name) with the connection setting it declares, and a timerTrigger on the
// schedule's NCRONTAB expression. The command azfunc-init writes them.
func FunctionJSON(app *event.App) map[string][]byte {
	out := map[string][]byte{}
	for _, c := range app.Consumers() {
		out[c.Name] = functionJSON(map[string]any{
			"type": "queueTrigger", "direction": "in", "name": QueueBinding,
			"queueName": consumerQueue(c), "connection": c.Connection,
		})
	}
	for _, s := range app.Schedules() {
		out[s.Name] = functionJSON(map[string]any{
			"type": "timerTrigger", "direction": "in", "name": TimerBinding,
			"schedule": s.Cron, "runOnStartup": false, "useMonitor": true,
		})
	}
	return out
}

func functionJSON(binding map[string]any) []byte {
	b, _ := json.MarshalIndent(map[string]any{"bindings": []any{binding}}, "", "  ")
	return append(b, '\n')
}
