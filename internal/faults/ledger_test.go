package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/internal/faults"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/awsdynamodb"
	"github.com/anyfunc/anyfunc/store/gcpfirestore"
)

// EnableEnv turns the fault-injection suite on.
const EnableEnv = "ANYFUNC_FAULTS"

// The suite's fixed parameters.
const (
	deadline    = 3 * time.Second // every request's deadline (httpserver.WithTimeout)
	retryBudget = deadline + 5*time.Second
	lateAfter   = deadline + time.Second
	minItems    = 50 // per fault kind; a phase runs until its windows are over
	cycles      = 2  // fault windows per kind
	workers     = 4
	pace        = 250 * time.Millisecond // between one worker's items
	apiKey      = "key-ledger-0000000001"
)

// kinds are the fault kinds, each run over its own items.
var kinds = []string{"refuse", "hold", "drop", "pause"}

// backend opens a store on a fresh emulator behind a proxy.
type backend struct {
	name string
	spec emulator.Spec
	// open returns a store of its own, named name, reaching the
	// emulator through proxyAddr; endpoint is the emulator's own.
	open func(t *testing.T, endpoint, proxyAddr, name string) store.Store
	// target turns the emulator's endpoint into the proxy's host:port.
	target func(endpoint string) string
}

var backends = []backend{
	{
		name: "dynamodb-moto",
		spec: emulator.Moto,
		target: func(endpoint string) string {
			return strings.TrimPrefix(endpoint, "http://")
		},
		open: func(t *testing.T, endpoint, proxyAddr, name string) store.Store {
			ctx := context.Background()
			creds := awsdynamodb.WithCredentials(credentials.NewStaticCredentialsProvider("testing", "testing", ""))
			region := awsdynamodb.WithRegion("us-east-1")
			if err := awsdynamodb.EnsureTable(ctx, name, awsdynamodb.WithEndpoint(endpoint), region, creds); err != nil {
				t.Fatal(err)
			}
			c, err := awsdynamodb.NewClient(ctx, awsdynamodb.WithEndpoint("http://"+proxyAddr), region, creds)
			if err != nil {
				t.Fatal(err)
			}
			// The SDK warns of every answer the proxy cut short.
			c = dynamodb.New(c.Options(), func(o *dynamodb.Options) { o.Logger = logging.Nop{} })
			s, err := awsdynamodb.Open(ctx, name, awsdynamodb.WithClient(c))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	},
	{
		name:   "firestore-emulator",
		spec:   emulator.Firestore,
		target: func(endpoint string) string { return endpoint },
		open: func(t *testing.T, endpoint, proxyAddr, name string) store.Store {
			t.Setenv("FIRESTORE_EMULATOR_HOST", proxyAddr)
			// Reconnect quickly after the proxy refused or reset the
			// connection (gRPC's default backoff grows to 2 minutes).
			bo := grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: time.Second,
				Backoff: backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, MaxDelay: 500 * time.Millisecond}})
			s, err := gcpfirestore.Open(context.Background(), fmt.Sprintf("%s%d", name, time.Now().UnixNano()),
				gcpfirestore.WithProject("anyfunc-faults"), gcpfirestore.WithGRPCDialOptions(bo))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	},
}

// TestLedger is the fault-injection suite: for each store, the to-do
// example served over HTTP with a 3 s request deadline, a proxy between it
// and the emulator, and a ledger of idempotent creates and updates run
// through each fault kind. It asserts, per store and kind: no
// acknowledged write lost, no effect duplicated, no key stuck beyond its
// lease, no answer later than the deadline + 1 s, no 500.
func TestLedger(t *testing.T) {
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("the fault-injection suite runs with %s=1 (as .ci/run does)", EnableEnv)
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { runLedger(t, b) })
	}
}

// runLedger runs every fault kind on one emulator, each on a table (or
// collection) of its own: moto copies a whole table on every transaction,
// and one table for all would slow the later kinds down.
func runLedger(t *testing.T, b backend) {
	proc, err := emulator.LaunchProcess(b.spec)
	emulator.Need(t, b.spec, err)
	defer proc.Stop()
	proxy, err := faults.NewProxy(b.target(proc.Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	for i, kind := range kinds {
		runKind(t, b, proc, proxy, kind, rand.New(rand.NewPCG(uint64(len(b.name)), uint64(i))))
	}
}

// runKind serves the to-do example on a fresh store, runs the ledger
// through one fault kind, verifies it and reports its counts.
func runKind(t *testing.T, b backend, proc *emulator.Process, proxy *faults.Proxy, kind string, rng *rand.Rand) {
	s := b.open(t, proc.Endpoint, proxy.Addr(), "ledger-"+kind)
	defer s.Close()
	counted := &countingStore{Store: s}
	h, err := todo.Config{APIKeys: "ledger:" + apiKey, RateLimit: 1 << 30, Logs: io.Discard}.Wrap(counted)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serverLog := &lines{}
	// The server's own view of late answers, to tell them from a client
	// that the machine's load kept waiting.
	var serverLate atomic.Int64
	timed := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		start := time.Now()
		defer func() {
			if time.Since(start) > lateAfter {
				serverLate.Add(1)
			}
		}()
		return h.ServeRequest(ctx, r)
	})
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- httpserver.Serve(ctx, ln, timed, httpserver.WithTimeout(deadline),
			httpserver.WithLogger(slog.New(slog.NewTextHandler(serverLog, &slog.HandlerOptions{Level: slog.LevelError}))))
	}()
	defer func() { stop(); <-served }()

	l := &ledger{base: "http://" + ln.Addr().String(), client: &http.Client{Timeout: retryBudget}}
	l.warmUp(t)
	before := proxy.Stats()
	on, off := faultFor(kind, proxy, proc)
	st := l.phase(kind, rng, on, off)
	after := proxy.Stats()
	st.refused, st.held, st.dropped = after.Refused-before.Refused, after.Held-before.Held, after.Dropped-before.Dropped
	st.unknownCommits, st.unknownWrites = counted.atomics.Load(), counted.writes.Load()
	// Every lease has ended: the deadline has passed for every request.
	time.Sleep(deadline + 500*time.Millisecond)
	l.verify(t)

	t.Logf("%s %-6s items %d: creates acked %d, updates acked %d; requests %d (2xx %d, 409 %d, 503 %d, 504 %d, other %d); "+
		"faults: windows %d, conns refused %d, chunks held %d, answers dropped %d; writes of unknown outcome: commits %d, others %d; "+
		"lost %d, duplicated %d, stuck beyond the lease %d, late %d (by the server's clock %d), 500s %d; no final answer within deadline+5s %d",
		b.name, kind, st.items, st.createsAcked, st.updatesAcked, st.requests, st.s2xx, st.s409, st.s503, st.s504, st.other,
		st.windows, st.refused, st.held, st.dropped, st.unknownCommits, st.unknownWrites,
		st.lost, st.duplicated, st.stuck, st.late, serverLate.Load(), st.s500, st.unanswered)
	if st.items < minItems || st.lost != 0 || st.duplicated != 0 || st.stuck != 0 || st.late != 0 || st.s500 != 0 {
		t.Errorf("%s %s: %d items, %d lost, %d duplicated, %d stuck, %d late, %d 500s; want none",
			b.name, kind, st.items, st.lost, st.duplicated, st.stuck, st.late, st.s500)
	}
	for _, id := range st.ids500 {
		t.Logf("%s %s: a 500 (request %s); the server logged: %s", b.name, kind, id, serverLog.grep(id))
	}
	if st.windows == 0 {
		t.Errorf("%s %s: no fault was injected", b.name, kind)
	}
}

// fault returns what turns a fault kind on and off.
func faultFor(kind string, p *faults.Proxy, proc *emulator.Process) (on, off func()) {
	switch kind {
	case "refuse":
		return func() { p.Set(faults.Refuse) }, func() { p.Set(faults.Pass) }
	case "hold":
		return func() { p.Set(faults.Hold) }, func() { p.Set(faults.Pass) }
	case "drop":
		return func() { p.Set(faults.DropAnswer) }, func() { p.Set(faults.Pass) }
	case "pause":
		return func() { proc.Pause() }, func() { proc.Resume() }
	}
	panic("unknown fault kind " + kind)
}

// windows gives, per kind, how long a fault lasts and the calm before
// it, drawn from the phase's seeded generator. Holds and pauses may last
// longer than the request deadline (then requests time out, and writes
// held or queued in the paused emulator arrive after their request gave
// up). The calm is longer than a request's deadline plus a retry: a
// client retrying for deadline + 5 s after a fault always gets through.
var windows = map[string]struct{ onMin, onMax, offMin, offMax time.Duration }{
	"refuse": {300 * time.Millisecond, 1500 * time.Millisecond, 4500 * time.Millisecond, 6 * time.Second},
	"hold":   {time.Second, 3500 * time.Millisecond, 4500 * time.Millisecond, 6 * time.Second},
	"drop":   {200 * time.Millisecond, 1000 * time.Millisecond, 4500 * time.Millisecond, 6 * time.Second},
	"pause":  {time.Second, 3500 * time.Millisecond, 4500 * time.Millisecond, 6 * time.Second},
}

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

// ledger is the client side of the workload and its bookkeeping.
type ledger struct {
	base   string
	client *http.Client

	mu    sync.Mutex
	stats map[string]*kindStats
	items []*item
}

type kindStats struct {
	items, createsAcked, updatesAcked             int
	requests, s2xx, s409, s503, s504, s500, other int
	late, stuck, lost, duplicated, unanswered     int
	windows                                       int
	refused, held, dropped                        int64
	ids500                                        []string // request IDs of the 500s
	unknownCommits, unknownWrites                 int64
}

// countingStore counts the app's writes whose outcome the store could not
// tell (unavailable: a timeout, a reset, a lost answer): Atomic calls (the
// commits of a write with its idempotency record) and other writes
// (claims, records, releases, rate-limit counters).
type countingStore struct {
	store.Store
	atomics, writes atomic.Int64
}

func (c *countingStore) count(n *atomic.Int64, err error) error {
	if errors.Is(err, store.ErrUnavailable) {
		n.Add(1)
	}
	return err
}

func (c *countingStore) Atomic(ctx context.Context, w []store.Write) error {
	return c.count(&c.atomics, c.Store.Atomic(ctx, w))
}

func (c *countingStore) Put(ctx context.Context, it *store.Item, cond ...store.Condition) (store.Revision, error) {
	rev, err := c.Store.Put(ctx, it, cond...)
	return rev, c.count(&c.writes, err)
}

func (c *countingStore) Delete(ctx context.Context, k store.Key, cond ...store.Condition) error {
	return c.count(&c.writes, c.Store.Delete(ctx, k, cond...))
}

func (c *countingStore) UpdateItem(ctx context.Context, k store.Key, ops []store.FieldOp, cond ...store.Condition) (*store.Item, error) {
	it, err := c.Store.UpdateItem(ctx, k, ops, cond...)
	return it, c.count(&c.writes, err)
}

// lines collects the server's error log.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// grep returns the lines that contain s.
func (l *lines) grep(s string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// item is one ledger entry: a create and an update, each with its key.
type item struct {
	kind, title      string
	createKey        string
	updateKey        string
	id               string // from the acknowledged create
	createBody       string // the acknowledged create's answer
	updated          bool   // the update was acknowledged
	updateBody       string
	createStuck      bool
	updateStuck      bool
	unexpectedStatus string
	trace            []string // the attempts: status, time taken, problem code
}

// phase runs items through the workers while the fault comes and goes
// cycles times, and until at least minItems have run; the items under way
// when the last window closes finish, retrying, after it.
func (l *ledger) phase(kind string, rng *rand.Rand, on, off func()) *kindStats {
	l.mu.Lock()
	if l.stats == nil {
		l.stats = make(map[string]*kindStats)
	}
	st := &kindStats{}
	l.stats[kind] = st
	l.mu.Unlock()

	w := windows[kind]
	faulted := make(chan struct{})
	go func() {
		defer close(faulted)
		for i := range cycles {
			calm := between(rng, w.offMin, w.offMax)
			if i == 0 {
				calm = between(rng, time.Second, 2*time.Second) // traffic is flowing
			}
			time.Sleep(calm)
			on()
			st.windows++
			time.Sleep(between(rng, w.onMin, w.onMax))
			off()
		}
	}()

	work := make(chan *item)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				l.run(it)
				time.Sleep(pace)
			}
		}()
	}
	for i := 0; ; i++ {
		if i >= minItems {
			select {
			case <-faulted:
				close(work)
				wg.Wait()
				return st
			default:
			}
		}
		it := &item{kind: kind, title: fmt.Sprintf("%s-%03d", kind, i),
			createKey: fmt.Sprintf("create-%s-%d", kind, i), updateKey: fmt.Sprintf("update-%s-%d", kind, i)}
		l.mu.Lock()
		l.items = append(l.items, it)
		st.items++
		l.mu.Unlock()
		work <- it
	}
}

// run creates the item and updates it, each retried with its key.
func (l *ledger) run(it *item) {
	res, ok := l.retry(it, "POST", "/todos", it.createKey, map[string]any{"title": it.title})
	if !ok {
		l.mu.Lock()
		it.createStuck = true
		l.mu.Unlock()
		return
	}
	if res.status != http.StatusCreated {
		it.unexpectedStatus = fmt.Sprintf("create %d %s", res.status, res.body)
		return
	}
	var td todo.Todo
	if err := json.Unmarshal(res.body, &td); err != nil || td.ID == "" {
		it.unexpectedStatus = fmt.Sprintf("create answered %s", res.body)
		return
	}
	l.mu.Lock()
	it.id, it.createBody = td.ID, string(res.body)
	l.stats[it.kind].createsAcked++
	l.mu.Unlock()

	res, ok = l.retry(it, "PATCH", "/todos/"+td.ID, it.updateKey, map[string]any{"title": it.title + "-v2", "done": true})
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !ok:
		it.updateStuck = true
	case res.status == http.StatusOK:
		it.updated, it.updateBody = true, string(res.body)
		l.stats[it.kind].updatesAcked++
	default:
		it.unexpectedStatus = fmt.Sprintf("update %d %s", res.status, res.body)
	}
}

type answer struct {
	status int
	body   []byte
}

// retry sends the request until it gets a final answer (2xx, or a 4xx
// other than 409 in flight and 429), with backoff, for at most
// retryBudget. It counts every answer; ok is false when the budget ran
// out.
func (l *ledger) retry(it *item, method, path, key string, body any) (answer, bool) {
	start := time.Now()
	for attempt := 0; ; attempt++ {
		t0 := time.Now()
		res, err := l.send(it.kind, method, path, key, body)
		var p struct{ Code string }
		json.Unmarshal(res.body, &p)
		l.mu.Lock()
		it.trace = append(it.trace, fmt.Sprintf("%s@%.1fs:%d/%s/%v/%v", method, t0.Sub(start).Seconds(), res.status, p.Code, time.Since(t0).Round(time.Millisecond), err))
		l.mu.Unlock()
		if err == nil && (res.status < 300 || (res.status < 500 && res.status != http.StatusConflict && res.status != http.StatusTooManyRequests)) {
			return res, true
		}
		wait := min(50*time.Millisecond<<min(attempt, 5), time.Second)
		if time.Since(start)+wait > retryBudget {
			return res, false
		}
		time.Sleep(wait)
	}
}

// send makes one attempt and counts its answer.
func (l *ledger) send(kind, method, path, key string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, l.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("X-Api-Key", apiKey)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	start := time.Now()
	resp, err := l.client.Do(req)
	var res answer
	if err == nil {
		res.status = resp.StatusCode
		res.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	took := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.stats[kind]
	if st == nil {
		return res, err
	}
	st.requests++
	if took > lateAfter {
		st.late++
	}
	switch {
	case err != nil:
		st.other++
	case res.status < 300:
		st.s2xx++
	case res.status == 409:
		st.s409++
	case res.status == 503:
		st.s503++
	case res.status == 504:
		st.s504++
	case res.status == 500:
		st.s500++
		var p struct{ RequestID string }
		json.Unmarshal(res.body, &p)
		st.ids500 = append(st.ids500, p.RequestID)
	default:
		st.other++
	}
	return res, err
}

// warmUp waits until the API answers a list and a create without a fault:
// the emulator and the clients are past their cold start, which is not
// what the suite measures.
func (l *ledger) warmUp(t *testing.T) {
	start := time.Now()
	for {
		list, lerr := l.send("", "GET", "/todos", "", nil)
		create, cerr := l.send("", "POST", "/todos", "", map[string]any{"title": "warm-up"})
		if lerr == nil && cerr == nil && list.status == http.StatusOK && create.status == http.StatusCreated {
			return
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("the API did not answer within a minute: list %d %s %v, create %d %s %v",
				list.status, list.body, lerr, create.status, create.body, cerr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// settled sends a request of the verification, when no fault is on: a
// 503 or 504 (an emulator still catching up) is retried for up to a
// minute; any other answer, a 409 "in flight" included, is final.
func (l *ledger) settled(method, path, key string, body any) (answer, error) {
	start := time.Now()
	for {
		res, err := l.send("", method, path, key, body)
		if (err == nil && res.status != 503 && res.status != 504) || time.Since(start) > time.Minute {
			return res, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// verify checks the store against what was acknowledged, once no fault
// is on and every lease has ended.
func (l *ledger) verify(t *testing.T) {
	byTitle := make(map[string][]todo.Todo)
	cursor := ""
	for {
		path := "/todos?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res, err := l.send("", "GET", path, "", nil)
		if err != nil || res.status != 200 {
			t.Fatalf("list: %d %s %v", res.status, res.body, err)
		}
		var page todo.List
		if err := json.Unmarshal(res.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, td := range page.Items {
			base := strings.TrimSuffix(td.Title, "-v2")
			byTitle[base] = append(byTitle[base], td)
		}
		if page.Next == nil {
			break
		}
		cursor = *page.Next
	}
	for _, it := range l.items {
		st := l.stats[it.kind]
		if it.unexpectedStatus != "" {
			t.Errorf("%s: unexpected answer: %s", it.title, it.unexpectedStatus)
		}
		found := byTitle[it.title]
		if len(found) > 1 {
			st.duplicated += len(found) - 1
			t.Errorf("%s: %d todos", it.title, len(found))
		}
		if it.id != "" {
			var mine *todo.Todo
			for i := range found {
				if found[i].ID == it.id {
					mine = &found[i]
				}
			}
			switch {
			case mine == nil:
				st.lost++
				t.Errorf("%s: acknowledged create %s is not in the store", it.title, it.id)
			case it.updated && (mine.Title != it.title+"-v2" || !mine.Done):
				st.lost++
				t.Errorf("%s: acknowledged update not in the store: %+v", it.title, *mine)
			}
		}
		// Every key answers now, past its lease: the create's with the
		// answer the client was given, if it was given one.
		res, err := l.settled("POST", "/todos", it.createKey, map[string]any{"title": it.title})
		switch {
		case err != nil || res.status != http.StatusCreated:
			st.stuck++
			t.Errorf("%s: create key after its lease: %d %s %v", it.title, res.status, res.body, err)
		case it.createBody != "" && string(res.body) != it.createBody:
			st.duplicated++
			t.Errorf("%s: the create's replay %s differs from its answer %s", it.title, res.body, it.createBody)
		}
		if it.createStuck || it.updateStuck {
			// Reported, not failed: whether the emulator has recovered
			// deadline + 5 s after a fault depends on the machine's
			// load; the key's answer after its lease is checked above.
			st.unanswered++
			t.Logf("%s: no final answer within %v (create %v, update %v): %s", it.title, retryBudget, it.createStuck, it.updateStuck, strings.Join(it.trace, " "))
		}
		if it.updated {
			res, err := l.settled("PATCH", "/todos/"+it.id, it.updateKey, map[string]any{"title": it.title + "-v2", "done": true})
			if err != nil || res.status != http.StatusOK || string(res.body) != it.updateBody {
				st.stuck++
				t.Errorf("%s: update key after its lease: %d %s %v, want the replay of %s", it.title, res.status, res.body, err, it.updateBody)
			}
		}
	}
}
