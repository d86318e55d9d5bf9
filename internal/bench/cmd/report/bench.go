package main

import (
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anyfunc/anyfunc/internal/bench/coldstart"
)

// A comparison is one table of the per-invocation section: the benchmarks
// of its contenders, the contender the ratios are to, and what that
// baseline is, in a sentence or two.
type comparison struct {
	Name  string // the key of its rows (Bench of benchRow)
	Title string
	// Funcs are the Go benchmarks (without "Benchmark") whose results are
	// this comparison's rows. With one function, its sub-benchmarks name
	// the contenders ("impl=x", or a bare name) and their parameters
	// ("size=1KB"); with several, each function is one contender, named by
	// Impls.
	Funcs []string
	Impls []string // with several Funcs, the contender each is
	Base  string
	// Baseline describes the contenders, What the measured operation.
	What, Baseline string
	// CPU says where the CPU time comes from: "cpu-ns/op" (the benchmark's
	// own getrusage around its loop), "server-cpu-ns/op" (the server
	// process's), or "rusage" (the report runs each sub-benchmark in a
	// process of its own and takes the process's CPU time, see perSub).
	CPU string
	// Subs, for an rusage comparison, are the sub-benchmarks to run, one
	// process each, as the benchmarks list them in a first run.
	Subs []string
}

// program is a test binary the report builds once and runs every round.
type program struct {
	Name   string // the package, relative to the repository root
	module string // the directory to build in
	pkg    string // the package, relative to module
	comps  []*comparison
	bin    string
}

// comparisons returns the test programs and their comparisons, in the
// order of the report.
func comparisons(root, benchDir string) []*program {
	return []*program{
		{Name: "internal/bench", module: benchDir, pkg: ".", comps: []*comparison{
			{Name: "LambdaV2", Title: "Lambda: an HTTP API event, in process", Funcs: []string{"LambdaV2"}, Base: "raw", CPU: "cpu-ns/op",
				What:     "BenchmarkLambdaV2 hands each contender the bytes of an HTTP API (payload 2.0) event, as aws-lambda-go's runtime loop does, and takes the response bytes; each answers 200 with a small JSON body naming the method, path and User-Agent.",
				Baseline: "**raw** is a hand-written aws-lambda-go handler on the typed `events.APIGatewayV2HTTPRequest`; **apiproxy** is the same work as a net/http handler behind aws-lambda-go-api-proxy's `httpadapter`, the popular bridge."},
			{Name: "GCF", Title: "Cloud Functions: over loopback through functions-framework", Funcs: []string{"GCF"}, Base: "plain", CPU: "cpu-ns/op",
				What:     "BenchmarkGCF sends one POST of a small JSON to-do per iteration over loopback to functions-framework-go's server in the same process; each contender decodes it and answers 201 with a JSON echo. The client's work is in the CPU time too.",
				Baseline: "**plain** is the function a Go developer writes without anyfunc: a `func(http.ResponseWriter, *http.Request)` registered with functions-framework, doing the same JSON work."},
			{Name: "GCFHandler", Title: "Cloud Functions: the adapter in process", Funcs: []string{"GCFHandler"}, Base: "plain", CPU: "cpu-ns/op",
				What:     "BenchmarkGCFHandler calls the same two functions as BenchmarkGCF at their http.Handler, in process, without the network and the framework's server: what the adapter itself costs.",
				Baseline: "**plain** is the same hand-written `func(http.ResponseWriter, *http.Request)` as above."},
			{Name: "AzurePayload", Title: "Azure: a payload-mode invocation, in process", Funcs: []string{"AzurePayload"}, Base: "handwritten", CPU: "cpu-ns/op",
				What:     "BenchmarkAzurePayload serves one payload-mode invocation envelope (POST /api/todos with a JSON to-do, headers and metadata as the Functions host sends them) per iteration at the custom handler's http.Handler.",
				Baseline: "**handwritten** is what a careful Go developer writes without anyfunc: the envelope decoded into typed structs holding only the fields it reads (faster than the `map[string]any` decoding of Microsoft's Go sample, the baseline before issue 20), the answer encoded from a typed struct."},
			{Name: "HTTPRouter", Title: "HTTP server: 20 routes, in process", Funcs: []string{"HTTPRouter"}, Base: "servemux", CPU: "cpu-ns/op",
				What:     "BenchmarkHTTPRouter serves `GET /v1/users/12345/todos` among the same 20 routes of a typical API, in process at the http.Handler, with a fresh header map per request as net/http's server gives; each answers the same JSON.",
				Baseline: "**servemux** is net/http's `ServeMux` with the same patterns and a handler that marshals the same struct; **chi** is go-chi/chi v5 doing the same. **anyfunc** is `handler.Router` behind `httpserver.NewHandler` with its default options (30 s deadline, 10 MB body limit), answering with `handler.JSONResponse`."},
			{Name: "HTTPLoad", Title: "HTTP server: keep-alive load, server CPU per request", Funcs: []string{"HTTPLoad"}, Base: "servemux", CPU: "server-cpu-ns/op",
				What:     "BenchmarkHTTPLoad runs each contender of BenchmarkHTTPRouter in a server process of its own (net/http's `http.Server`) and sends it the same request over persistent connections from several goroutines; CPU here is the server process's CPU time per request (getrusage in the server), the client's work excluded, and allocs/op are the client's.",
				Baseline: "**servemux** and **chi** as in the in-process table."},
			{Name: "LambdaBody", Funcs: []string{"LambdaBody"}, Base: "raw", CPU: "cpu-ns/op"},
		}},
		{Name: "handler", module: root, pkg: "./handler", comps: []*comparison{
			{Name: "RouterMatch", Title: "Router matching: 20 routes, the router alone", Funcs: []string{"Router", "ServeMux"}, Impls: []string{"router", "servemux"}, Base: "servemux", CPU: "rusage",
				What:     "BenchmarkRouter and BenchmarkServeMux (package handler) route `GET /v1/users/12345/todos` among the 20 routes, without an adapter: `Router.ServeRequest` against `ServeMux.ServeHTTP`, with handlers that do nothing.",
				Baseline: "**servemux** is net/http's `ServeMux` with the same patterns."},
			{Name: "Register", Funcs: []string{"Register"}, Base: "servemux", CPU: "rusage"},
		}},
		{Name: "handler/middleware/otelmw", module: root, pkg: "./handler/middleware/otelmw", comps: []*comparison{
			{Name: "Observability", Title: "Observability middleware over the bare router", Funcs: []string{"Observability"}, Base: "bare", CPU: "cpu-ns/op",
				What:     "BenchmarkObservability (package handler/middleware/otelmw) serves a routed request through `otelmw.Tracing` (SDK tracer, no-op exporter), `otelmw.Metrics` (SDK meter, manual reader) and `middleware.Logger` (to io.Discard): **observed** samples every span, **observed-unsampled** has the SDK installed and the span not sampled, **observed-noop-sdk** uses OpenTelemetry's no-op providers (a program that installs no SDK); the *-only* rows run one of the three alone.",
				Baseline: "**bare** is the same `handler.Router` and route without any middleware; the overhead columns are differences of medians."},
			{Name: "SDKFloor", Title: "The OpenTelemetry SDK's own cost per request", Funcs: []string{"SDKFloor"}, CPU: "cpu-ns/op",
				What:     "BenchmarkSDKFloor (package handler/middleware/otelmw) calls the SDK alone, under BenchmarkObservability's providers, for what the middleware asks of it per request: a sampled server span with the eight attributes Tracing sets, an unsampled one, an up-down counter's Add (Metrics makes two per request), a histogram's Record with a cached attribute set (one per request), and the clock reads of time.Now and time.Since.",
				Baseline: "There is no baseline: this is the floor under the observability rows above, whatever the middleware around the SDK does."},
		}},
	}
}

// benchRow is one contender of a comparison (at one parameter value, for
// the scaling tables), with a value per run.
type benchRow struct {
	Bench string // the comparison's Name
	Key   string // its parameters other than the contender, e.g. "size=1024KB"
	Impl  string
	Base  string // the impl of the same Bench and Key the ratios are to
	// Per run: CPU time, wall time (ns/op), allocations and bytes
	// allocated per op, and the benchmark's other metrics by unit.
	CPU, Wall, Allocs, Bytes []float64
	Extra                    map[string][]float64
}

// benchResult is one line of go test -bench output.
type benchResult struct {
	Name    string // without "Benchmark" and the GOMAXPROCS suffix
	N       int64
	Metrics map[string]float64 // by unit
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBench reads the result lines of go test -bench output.
func parseBench(out string) []benchResult {
	var rs []benchResult
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		r := benchResult{Name: procsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), ""), N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			r.Metrics[f[i+1]] = v
		}
		rs = append(rs, r)
	}
	return rs
}

// place names the comparison, parameters and contender of a result.
func (p *program) place(name string) (c *comparison, key, impl string, ok bool) {
	parts := strings.Split(name, "/")
	for _, c := range p.comps {
		for i, f := range c.Funcs {
			if parts[0] != f {
				continue
			}
			if len(c.Funcs) > 1 {
				return c, strings.Join(parts[1:], "/"), c.Impls[i], true
			}
			var keys []string
			for _, s := range parts[1:] {
				switch v, isImpl := strings.CutPrefix(s, "impl="); {
				case isImpl:
					impl = v
				case strings.Contains(s, "="):
					keys = append(keys, s)
				default:
					impl = s
				}
			}
			return c, strings.Join(keys, "/"), impl, impl != ""
		}
	}
	return nil, "", "", false
}

// benchOptions are the flags of the benchmark part.
type benchOptions struct {
	count  int
	time   string         // go test -benchtime
	filter *regexp.Regexp // of comparison names; nil runs all
}

// benchmarks builds the test programs once and runs them count rounds,
// each round every selected benchmark once, the contenders of a
// comparison next to each other, so that drift in the machine's load hits
// them alike. The CPU time of a comparison marked "rusage" (its benchmarks
// report none) is the process's: each of its sub-benchmarks runs in a
// process of its own, once for the time asked and once for one iteration,
// and the difference over the iterations is its CPU per op.
func (r *report) benchmarks(tmp string, progs []*program, o benchOptions) error {
	// A failure (a benchmark that no longer builds or runs) is recorded in
	// the report and the rest goes on: a long run is not lost to one
	// benchmark.
	fail := func(err error) {
		log.Print(err)
		msg := err.Error()
		if len(msg) > 2000 {
			msg = msg[:2000] + " …"
		}
		r.BenchErrors = append(r.BenchErrors, msg)
	}
	var run []*program
	for _, p := range progs {
		var comps []*comparison
		for _, c := range p.comps {
			if o.filter == nil || o.filter.MatchString(c.Name) {
				comps = append(comps, c)
			}
		}
		if len(comps) == 0 {
			continue
		}
		p.comps = comps
		p.bin = filepath.Join(tmp, strings.ReplaceAll(p.Name, "/", "-")+".test")
		cmd := exec.Command("go", "test", "-c", "-o", p.bin, p.pkg)
		cmd.Dir = p.module
		if b, err := cmd.CombinedOutput(); err != nil {
			fail(fmt.Errorf("go test -c %s: %v\n%s", p.Name, err, b))
			continue
		}
		// The sub-benchmarks of a comparison without CPU time of its own,
		// each to run in a process of its own; if they all report
		// cpu-ns/op by now, they run in one process like the others.
		for _, c := range p.comps {
			if c.CPU != "rusage" {
				continue
			}
			out, _, err := p.exec(funcsPattern(c.Funcs), "1x")
			if err != nil {
				fail(err)
				continue
			}
			c.Subs = nil
			own := true
			for _, res := range parseBench(out) {
				if c2, _, _, ok := p.place(res.Name); ok && c2 == c {
					c.Subs = append(c.Subs, res.Name)
					_, has := res.Metrics["cpu-ns/op"]
					own = own && has
				}
			}
			if own && len(c.Subs) > 0 {
				c.CPU, c.Subs = "cpu-ns/op", nil
			}
		}
		run = append(run, p)
	}
	if len(run) == 0 {
		return fmt.Errorf("no benchmark to run (-benches %q): %s", o.filter, strings.Join(r.BenchErrors, "; "))
	}
	rows := map[string]*benchRow{}
	var order []string
	add := func(c *comparison, key, impl string, res benchResult, cpu float64) {
		k := c.Name + "/" + key + "/" + impl
		row := rows[k]
		if row == nil {
			row = &benchRow{Bench: c.Name, Key: key, Impl: impl, Base: c.Base, Extra: map[string][]float64{}}
			rows[k] = row
			order = append(order, k)
		}
		row.CPU = append(row.CPU, cpu)
		row.Wall = append(row.Wall, res.Metrics["ns/op"])
		row.Allocs = append(row.Allocs, res.Metrics["allocs/op"])
		row.Bytes = append(row.Bytes, res.Metrics["B/op"])
		for unit, v := range res.Metrics {
			switch unit {
			case "ns/op", "allocs/op", "B/op", "MB/s", "cpu-ns/op", "server-cpu-ns/op":
			default:
				row.Extra[unit] = append(row.Extra[unit], v)
			}
		}
	}
	// startup is the CPU time of a one-iteration process per
	// sub-benchmark, over the rounds.
	startup := map[string][]float64{}
	for round := 0; round < o.count; round++ {
		log.Printf("benchmarks: round %d of %d", round+1, o.count)
		for _, p := range run {
			var inProcess []string
			var perSub []*comparison
			for _, c := range p.comps {
				if c.CPU == "rusage" {
					perSub = append(perSub, c)
					continue
				}
				inProcess = append(inProcess, c.Funcs...)
			}
			if len(inProcess) > 0 {
				out, _, err := p.exec(funcsPattern(inProcess), o.time)
				if err != nil {
					fail(err)
				}
				for _, res := range parseBench(out) {
					c, key, impl, ok := p.place(res.Name)
					if !ok {
						continue
					}
					cpu, ok := res.Metrics[c.CPU]
					if !ok {
						fail(fmt.Errorf("%s: Benchmark%s reports no %s", p.Name, res.Name, c.CPU))
						continue
					}
					add(c, key, impl, res, cpu)
				}
			}
			for _, c := range perSub {
				subs := slices.Clone(c.Subs)
				if round%2 == 1 {
					// Reversed every other round: which contender of a
					// pair goes first alternates.
					slices.Reverse(subs)
				}
				for _, sub := range subs {
					pattern := subPattern(sub)
					_, one, err := p.exec(pattern, "1x")
					if err != nil {
						fail(err)
						continue
					}
					startup[sub] = append(startup[sub], one)
					out, total, err := p.exec(pattern, o.time)
					if err != nil {
						fail(err)
						continue
					}
					rs := parseBench(out)
					if len(rs) != 1 || rs[0].N < 2 {
						fail(fmt.Errorf("%s -test.bench %s printed %d results:\n%s", p.Name, pattern, len(rs), out))
						continue
					}
					c, key, impl, ok := p.place(rs[0].Name)
					if !ok {
						fail(fmt.Errorf("%s: no comparison for Benchmark%s", p.Name, rs[0].Name))
						continue
					}
					base := coldstart.Quantile(startup[sub], 0.5)
					add(c, key, impl, rs[0], (total-base)/float64(rs[0].N-1))
				}
			}
		}
	}
	for _, k := range order {
		r.Bench = append(r.Bench, *rows[k])
	}
	if len(r.Bench) == 0 {
		return fmt.Errorf("the benchmarks printed no result line")
	}
	return nil
}

// funcsPattern is the -test.bench pattern of the benchmark functions
// (without "Benchmark").
func funcsPattern(funcs []string) string {
	qs := make([]string, len(funcs))
	for i, f := range funcs {
		qs[i] = regexp.QuoteMeta("Benchmark" + f)
	}
	return "^(" + strings.Join(qs, "|") + ")$"
}

// subPattern is the -test.bench pattern that selects exactly one
// sub-benchmark, "Register/routes=10/impl=router".
func subPattern(sub string) string {
	parts := strings.Split(sub, "/")
	parts[0] = "Benchmark" + parts[0]
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// exec runs the program's benchmarks matching pattern once and returns
// their output and the process's CPU time (user + system, ns). On an error
// it returns the output the process printed.
func (p *program) exec(pattern, benchtime string) (string, float64, error) {
	cmd := exec.Command(p.bin, "-test.run", "^$", "-test.bench", pattern, "-test.benchmem", "-test.count", "1",
		"-test.benchtime", benchtime)
	// In the package's directory, as go test runs it (internal/bench's
	// benchmarks ask go list for their module's dependencies).
	cmd.Dir = filepath.Join(p.module, p.pkg)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		// The output is returned too: the other benchmarks of the run
		// still printed their results.
		return string(out), 0, fmt.Errorf("%s -test.bench %s: %v\n%s", p.Name, pattern, err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return "", 0, fmt.Errorf("%s: no rusage", p.Name)
	}
	if d := time.Since(start); d > 5*time.Minute {
		log.Printf("%s -test.bench %s took %s", p.Name, pattern, d.Round(time.Second))
	}
	return string(out), float64(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// bench returns the row of a contender, nil if it was not measured.
func (r *report) bench(name, key, impl string) *benchRow {
	for i := range r.Bench {
		b := &r.Bench[i]
		if b.Bench == name && b.Key == key && b.Impl == impl {
			return b
		}
	}
	return nil
}

// base returns the baseline row of b.
func (r *report) base(b *benchRow) *benchRow { return r.bench(b.Bench, b.Key, b.Base) }

func med(xs []float64) float64 { return coldstart.Quantile(xs, 0.5) }

// cpuRatio is the ratio of the CPU medians of a and its baseline, with the
// U test's p-value and the sample sizes, as benchstat prints them.
func cpuRatio(a, base *benchRow) string {
	if a == nil || base == nil {
		return "–"
	}
	if a == base {
		return "1.00×"
	}
	return fmt.Sprintf("%s (p=%s n=%d+%d)", ratio(med(a.CPU), med(base.CPU)), pval(uTest(a.CPU, base.CPU)), len(a.CPU), len(base.CPU))
}

func pval(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return fmt.Sprintf("%.3f", p)
}
