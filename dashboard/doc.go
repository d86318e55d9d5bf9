// Package dashboard is a local monitoring dashboard for an anyfunc app: a
// web page, served by the process itself, with the panels of a serverless
// API's dashboard — invocations, error rate, latency (average and p95),
// one panel per route, message consumer and schedule (count, errors, p50
// and p95, process memory, the distribution of durations), alerts and recent
// events — over the last 15 minutes, hour or 24 hours.
//
//	d, err := dashboard.New("todo API")                 // listens on 127.0.0.1:8090
//	httpserver.ListenAndServe(ctx, ":8080", h, httpserver.WithDashboard(d))
//
// # What it records
//
// [Dashboard.Middleware] records every HTTP request (its route pattern,
// status and duration), [Dashboard.MessageMiddleware] every message a
// consumer handles and [Dashboard.TickMiddleware] every tick of a
// schedule, in an in-process recorder: per series (route, consumer or
// schedule) a ring of per-minute slots for the last hour and of per-hour
// slots for the last day, each slot a count, an error count, a duration
// sum and a duration histogram (two buckets per power of two, from 1 µs to
// about a minute), from which p50 and p95 are read. Recent events go to a
// bounded ring ([DefaultEvents] entries): answers of 500 and above with
// their request IDs, bursts of 429 answers (rate limiting) coalesced per
// route and minute, messages that failed their last allowed delivery
// (dead-lettered: [WithMaxDeliveries]) and late schedule ticks.
//
// Memory is constant however long the process runs: the number of series
// is capped ([WithMaxSeries]; further routes count under "(other)"), every
// series has the same fixed slots, and the event ring has a fixed size,
// with its strings truncated. Recording a request costs a few atomic
// additions and no allocation once its route has been seen (see the
// package's benchmarks).
//
// Errors are 5xx answers (4xx are the client's), failed messages and
// failed ticks. Process memory is the Go runtime's mapped memory minus
// what it released to the system, read when the page refreshes.
//
// # Serving
//
// [Dashboard.Handler] serves the page (HTML, JavaScript and CSS embedded
// with go:embed: the page loads nothing from elsewhere and works offline)
// and its data (GET snapshot.json?window=15m|1h|24h). The page refreshes
// itself every 15 seconds. [Dashboard.ListenAndServe] serves it on its
// own address, by default [DefaultAddr], a loopback address: [New]
// refuses an address that is not loopback unless the dashboard is given
// authentication ([WithBasicAuth] or [WithAuth]).
//
// The dashboard is for local runs and long-running servers. Cloud entry
// points leave it off (nothing records unless the middleware is
// installed); there, each cloud's own dashboards and alarms apply (the
// to-do example ships them as code under examples/todo/deploy).
package dashboard
