package main

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/anyfunc/anyfunc/internal/bench/coldstart"
)

// measured says whether the run measured a part (see -only). Reports saved
// before -only existed measured every part.
func (r *report) measured(part string) bool {
	return len(r.Parts) == 0 || slices.Contains(r.Parts, part)
}

const notMeasured = "not measured in this run"

// size is the stripped deploy size of a contender, NaN if not measured.
func (r *report) size(c coldstart.Cloud, impl string) float64 {
	for _, s := range r.Sizes {
		if s.Cloud == c {
			return float64(s.Bytes[impl])
		}
	}
	return math.NaN()
}

func wallMS(s coldstart.Sample) float64 { return float64(s.Wall) / 1e6 }

// samples are the values of f over the cold starts of a contender.
func (r *report) samples(cloud coldstart.Cloud, impl string, f func(coldstart.Sample) float64) []float64 {
	var xs []float64
	for _, s := range r.Samples {
		if s.Cloud == cloud && s.Impl == impl {
			xs = append(xs, f(s))
		}
	}
	return xs
}

// targetRow is one line of the issue-20 summary.
type targetRow struct {
	Measure, Baseline, Filed, Today, Target, Verdict string
}

// met marks a target: met or missed by the medians, and, where the
// comparison is to another contender, whether the difference is one the
// U test can tell from noise.
func met(ok bool, p float64) string {
	v := "met"
	if !ok {
		v = "**missed**"
	}
	if !math.IsNaN(p) && p > 0.05 {
		v += fmt.Sprintf(" (the difference is within noise: p=%.2f)", p)
	}
	return v
}

// issue20 computes the targets of issue 20 from the measurements.
func (r *report) issue20() []targetRow {
	var rows []targetRow
	none := func(measure, baseline, filed, target string) {
		rows = append(rows, targetRow{measure, baseline, filed, notMeasured, target, "–"})
	}
	// cpuTarget is a target on the CPU ratio of impl to the baseline of
	// its comparison.
	cpuTarget := func(measure, baseline, filed, bench, key, impl string, target float64, allocs bool) {
		a := r.bench(bench, key, impl)
		if a == nil || r.base(a) == nil {
			none(measure, baseline, filed, fmt.Sprintf("≤ %.2f×", target))
			return
		}
		b := r.base(a)
		x := med(a.CPU) / med(b.CPU)
		today := cpuRatio(a, b)
		if allocs {
			today += fmt.Sprintf(", %.0f vs %.0f allocs", med(a.Allocs), med(b.Allocs))
		}
		p := math.NaN()
		if target == 1 { // a target of parity: say whether the difference is noise
			p = uTest(a.CPU, b.CPU)
		}
		rows = append(rows, targetRow{measure, baseline, filed, today, fmt.Sprintf("≤ %.2f×", target), met(x <= target, p)})
	}

	// Binary size.
	{
		m, base, filed, target := "Lambda binary size, anylambda vs rawlambda (same GET)",
			"rawlambda: the same `GET /todos/{id}` hand-written on aws-lambda-go and the AWS SDK; stripped linux/arm64 deploy builds", "1.09×", "≤ 1.05×"
		a, raw := r.size(coldstart.Lambda, "anyfunc"), r.size(coldstart.Lambda, "raw")
		if math.IsNaN(a) || raw <= 0 {
			none(m, base, filed, target)
		} else {
			rows = append(rows, targetRow{m, base, filed, fmt.Sprintf("%s (%s vs %s)", ratio(a, raw), mib(a), mib(raw)), target, met(a/raw <= 1.05, math.NaN())})
		}
	}

	// Observability.
	{
		base := "the bare `handler.Router` with the same route, no middleware (BenchmarkObservability)"
		bare := r.bench("Observability", "", "bare")
		obs := r.bench("Observability", "", "observed")
		uns := r.bench("Observability", "", "observed-unsampled")
		if bare == nil || obs == nil {
			none("Observability middleware, every request sampled: CPU over the bare router", base, "+3.2 to +7 µs", "≤ +2 µs")
			none("Observability middleware, every request sampled: allocations per request", base, "18 allocs", "≤ 12")
		} else {
			d := med(obs.CPU) - med(bare.CPU)
			rows = append(rows, targetRow{"Observability middleware, every request sampled: CPU over the bare router", base, "+3.2 to +7 µs",
				fmt.Sprintf("+%.2f µs (%.2f vs %.2f µs)", d/1e3, med(obs.CPU)/1e3, med(bare.CPU)/1e3), "≤ +2 µs", met(d <= 2000, math.NaN())})
			rows = append(rows, targetRow{"Observability middleware, every request sampled: allocations per request", base + "; the count is the whole request's, as the issue's 18 was",
				"18 allocs", fmt.Sprintf("%.0f allocs (bare router: %.0f)", med(obs.Allocs), med(bare.Allocs)), "≤ 12", met(med(obs.Allocs) <= 12, math.NaN())})
		}
		if bare == nil || uns == nil {
			none("Observability middleware, span not sampled: CPU over the bare router", base, "–", "≤ +0.5 µs")
		} else {
			d := med(uns.CPU) - med(bare.CPU)
			rows = append(rows, targetRow{"Observability middleware, span not sampled: CPU over the bare router", base, "–",
				fmt.Sprintf("+%.2f µs (%.2f vs %.2f µs), %.0f allocs", d/1e3, med(uns.CPU)/1e3, med(bare.CPU)/1e3, med(uns.Allocs)), "≤ +0.5 µs", met(d <= 500, math.NaN())})
		}
	}

	// HTTP.
	cpuTarget("`httpserver` + Router in process, 20 routes: CPU", "net/http `ServeMux`, same 20 routes and JSON answer (BenchmarkHTTPRouter)",
		"1.40×", "HTTPRouter", "", "anyfunc", 1, false)
	{
		m, base, filed, target := "`httpserver` + Router in process, 20 routes: allocations", "net/http `ServeMux`, as above", "25 vs 13", "≤ ServeMux's"
		a := r.bench("HTTPRouter", "", "anyfunc")
		if a == nil || r.base(a) == nil {
			none(m, base, filed, target)
		} else {
			rows = append(rows, targetRow{m, base, filed, fmt.Sprintf("%.0f vs %.0f", med(a.Allocs), med(r.base(a).Allocs)), target, met(med(a.Allocs) <= med(r.base(a).Allocs), math.NaN())})
		}
	}
	cpuTarget("same, under keep-alive load: server CPU per request", "net/http `ServeMux` in its own `http.Server` process, same load (BenchmarkHTTPLoad)",
		"1.09×", "HTTPLoad", "", "anyfunc", 1, false)
	cpuTarget("GCF adapter in process: CPU", "a plain functions-framework `func(http.ResponseWriter, *http.Request)` doing the same JSON work (BenchmarkGCFHandler)",
		"1.44×, 31 vs 18 allocs", "GCFHandler", "", "anyfunc", 1.10, true)
	{
		m, base, filed, target := "Router registration, 1,000 routes: CPU", "registering the same 1,000 patterns on a new net/http `ServeMux` (BenchmarkRegister)",
			"5.6 ms (ServeMux 1.4 ms)", "≤ ServeMux's"
		a := r.bench("Register", "routes=1000", "router")
		if a == nil || r.base(a) == nil {
			none(m, base, filed, target)
		} else {
			b := r.base(a)
			p := uTest(a.CPU, b.CPU)
			rows = append(rows, targetRow{m, base, filed, fmt.Sprintf("%.2f ms vs %.2f ms: %s", med(a.CPU)/1e6, med(b.CPU)/1e6, cpuRatio(a, b)), target, met(med(a.CPU) <= med(b.CPU), p)})
		}
	}
	{
		m, base, filed, target := "Lambda request body of 5 MB: bytes allocated per invocation", "the body's size (BenchmarkLambdaBody's body-x); raw aws-lambda-go's figure beside it",
			"3× body", "≤ 2× body"
		a := r.bench("LambdaBody", "size=5120KB", "anyfunc")
		if a == nil || len(a.Extra["body-x"]) == 0 {
			none(m, base, filed, target)
		} else {
			x := med(a.Extra["body-x"])
			today := fmt.Sprintf("%.2f× body", x)
			if b := r.base(a); b != nil && len(b.Extra["body-x"]) > 0 {
				today += fmt.Sprintf(" (raw: %.2f×)", med(b.Extra["body-x"]))
			}
			rows = append(rows, targetRow{m, base, filed, today, target, met(x <= 2, math.NaN())})
		}
	}
	cpuTarget("Azure payload mode: CPU", "a hand-written custom handler decoding the envelope into typed structs (BenchmarkAzurePayload)",
		"0.42×", "AzurePayload", "", "anyfunc", 0.35, false)

	// Cold starts of the deployed example.
	filed := map[coldstart.Cloud]string{coldstart.Lambda: "1.35×", coldstart.GCF: "1.38×", coldstart.Azure: "1.50×"}
	for _, c := range clouds {
		m := "The deployed example (every middleware on) vs raw, cold start wall: " + cloudName[c]
		base := "the raw function of the same cloud (internal/bench/cmd/raw*), same request, cold starts interleaved"
		ex, raw := r.samples(c, "example", wallMS), r.samples(c, "raw", wallMS)
		if len(ex) == 0 || len(raw) == 0 {
			none(m, base, filed[c], "≤ 1.15×")
			continue
		}
		x := med(ex) / med(raw)
		cpu := func(s coldstart.Sample) float64 { return float64(s.CPU()) / 1e6 }
		rows = append(rows, targetRow{m, base, filed[c], fmt.Sprintf("%s (%s vs %s, p=%s n=%d+%d; CPU %s)", ratio(med(ex), med(raw)), ms(med(ex)), ms(med(raw)),
			pval(uTest(ex, raw)), len(ex), len(raw), ratio(med(r.samples(c, "example", cpu)), med(r.samples(c, "raw", cpu)))),
			"≤ 1.15×", met(x <= 1.15, math.NaN())})
	}
	return rows
}

func (r *report) write(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	wall := wallMS
	ready := func(s coldstart.Sample) float64 { return float64(s.Ready) / 1e6 }
	cpu := func(s coldstart.Sample) float64 { return float64(s.CPU()) / 1e6 }
	rss := func(s coldstart.Sample) float64 { return float64(s.MaxRSS) }
	haveCold := r.measured("coldstart") && len(r.Samples) > 0
	haveSize := r.measured("size") && len(r.Sizes) > 0
	haveBench := r.measured("bench") && len(r.Bench) > 0

	p("# Benchmarks\n\n")
	p("anyfunc against hand-written (\"raw\") functions doing the same work, and against the usual\n")
	p("alternatives (net/http's ServeMux, chi, aws-lambda-go-api-proxy): cold start, memory and size of\n")
	p("the to-do example's `GET /todos/{id}` on each cloud, and the per-invocation cost of each adapter,\n")
	p("the HTTP server, the router and the observability middleware.\n")
	p("Generated by `cd internal/bench && go run ./cmd/report` (%s); do not edit by hand.\n\n", r.Started.Format("2006-01-02 15:04 UTC"))
	if r.Overlay != "" {
		p("**What-if run**: anyfunc and the example were built with `go build -overlay %s`.\n\n", r.Overlay)
	}
	if len(r.Parts) > 0 && len(r.Parts) < len(parts) || r.BenchFilter != "" {
		var left []string
		for _, part := range parts {
			if !r.measured(part) {
				left = append(left, part)
			}
		}
		p("**Partial run** (`-only %s`", strings.Join(r.Parts, ","))
		if r.BenchFilter != "" {
			p(" `-benches '%s'`", r.BenchFilter)
		}
		p("): ")
		if len(left) > 0 {
			p("not measured: %s", strings.Join(left, ", "))
		}
		if r.BenchFilter != "" {
			if len(left) > 0 {
				p("; ")
			}
			p("only the comparisons matching `%s`", r.BenchFilter)
		}
		p(".\n\n")
	}

	if len(r.BenchErrors) > 0 {
		p("**Benchmarks that failed in this run** (their rows are missing or have fewer rounds):\n\n")
		for _, e := range r.BenchErrors {
			p("```\n%s\n```\n\n", strings.TrimSpace(e))
		}
	}

	p("## Targets of issue 20\n\n")
	p("Each figure is computed from this run's measurements, each comparison in one run with its\n")
	p("contenders interleaved (see [Method](#method)); *when filed* is the figure the issue quotes.\n")
	p("Ratios are of medians, CPU time unless said otherwise, with the two-sided Mann-Whitney U test's\n")
	p("p-value and the runs of each side. A target is met or missed by the medians; where the target is\n")
	p("parity and the U test cannot tell the two apart (p > 0.05), the verdict says so.\n\n")
	p("| measure | baseline | when filed | this run | target | verdict |\n|---|---|---|---|---|---|\n")
	for _, t := range r.issue20() {
		p("| %s | %s | %s | %s | %s | %s |\n", t.Measure, t.Baseline, t.Filed, t.Today, t.Target, t.Verdict)
	}
	p("\nWhere a target is missed, the [Notes](#notes-why-targets-are-missed-and-what-would-remove-it) at the\n")
	p("end say where the remaining time or bytes go, from profiles, and what would remove them.\n\n")

	if haveCold || haveSize {
		p("## Cold start, memory and size: the contenders\n\n")
		p("On each cloud:\n\n")
		p("- **raw**: hand-written on the platform's SDKs (internal/bench/cmd/rawlambda, rawgcf, rawazure).\n")
		p("- **anyfunc**: the same GET written with anyfunc (internal/bench/anytodo) behind `middleware.APIKey`,\n")
		p("  through anyfunc's adapter and store backend: the same work as raw (internal/bench/cmd/anylambda,\n")
		p("  anygcf, anyazure).\n")
		p("- **example**: the issue-12 entry points as deployed (examples/todo/cmd/lambda, examples/todo/gcp,\n")
		p("  examples/todo/cmd/azure) with the example's whole middleware stack: tracing, metrics and log\n")
		p("  middleware, the store-backed rate limit (one atomic UpdateItem per request) and idempotency.\n")
		p("  It does more work than raw; its ratio shows what those features cost.\n\n")
	}
	if haveCold && haveSize {
		p("### Summary: the targets of issue 11, as ratios to raw measured in this run\n\n")
		p("| cloud | contender | cold start (wall) | cold start (CPU) | peak RSS | binary size |\n|---|---|---|---|---|---|\n")
		for _, c := range clouds {
			for _, impl := range impls[1:] {
				wa, wr := r.metric(c, impl, wall).med, r.metric(c, "raw", wall).med
				ca, cr := r.metric(c, impl, cpu).med, r.metric(c, "raw", cpu).med
				ra, rr := r.metric(c, impl, rss).med, r.metric(c, "raw", rss).med
				sa, sr := r.size(c, impl), r.size(c, "raw")
				p("| %s | %s | %s %s | %s %s | %s %s | %s %s |\n", cloudName[c], impl,
					ratio(wa, wr), verdict(wa, wr, 1.05), ratio(ca, cr), verdict(ca, cr, 1.05),
					ratio(ra, rr), verdict(ra, rr, 1.10), ratio(sa, sr), verdict(sa, sr, 1.05))
			}
		}
		p("\nTargets: cold start ≤ 1.05×, peak RSS ≤ 1.10×, size ≤ 1.05× (medians). The cold-start target is\n")
		p("for wall time; CPU time is shown beside it because this machine is shared (see Method), and a\n")
		p("wall-time ratio within the spread of the p95 column says little. Where a target is missed,\n")
		p("[Causes](#causes) gives the measurement that explains it, and the Notes at the end say what\n")
		p("would remove it.\n\n")
	}

	if haveCold {
		p("## Cold start\n\n")
		p("Time from `exec` of the binary to the first complete answer, %d cold starts per contender,\n", r.N)
		p("the contenders of a cloud interleaved. *Ready* is the time to the platform's readiness signal\n")
		p("(first accepted connection on Cloud Functions, first answer to the host's probe on Azure; Lambda's\n")
		p("runtime has none), so *wall − ready* is the first request. CPU is the process's user + system\n")
		p("time (wait4 rusage) over its whole life, which after the answer is idle. The p-value is the U\n")
		p("test's on the wall times against raw's.\n\n")
		p("| cloud | impl | wall median | wall p95 | ready median | CPU median | CPU p95 | wall ratio | CPU ratio |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range clouds {
			wr, cr := r.metric(c, "raw", wall), r.metric(c, "raw", cpu)
			for _, impl := range impls {
				ws, cs, rd := r.metric(c, impl, wall), r.metric(c, impl, cpu), r.metric(c, impl, ready)
				rds := "–"
				if rd.med > 0 {
					rds = ms(rd.med)
				}
				wratio := ratio(ws.med, wr.med)
				if impl != "raw" {
					wratio += fmt.Sprintf(" (p=%s)", pval(uTest(r.samples(c, impl, wall), r.samples(c, "raw", wall))))
				}
				p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cloudName[c], impl, ms(ws.med), ms(ws.p95), rds, ms(cs.med), ms(cs.p95),
					wratio, ratio(cs.med, cr.med))
			}
		}

		p("\n## Peak RSS\n\n")
		p("VmHWM of the process (/proc/PID/status) once its first answer is in, over the same cold starts.\n\n")
		p("| cloud | impl | median | p95 | ratio |\n|---|---|---|---|---|\n")
		for _, c := range clouds {
			rr := r.metric(c, "raw", rss)
			for _, impl := range impls {
				s := r.metric(c, impl, rss)
				p("| %s | %s | %s | %s | %s |\n", cloudName[c], impl, mib(s.med), mib(s.p95), ratio(s.med, rr.med))
			}
		}
		p("\n")
	}

	if haveSize {
		p("## Binary size\n\n")
		p("Stripped deploy builds: `CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\"` (Lambda also `-tags\n")
		p("lambda.norpc`), GOOS=linux and the deploy architecture, as examples/todo/deploy/build.sh builds\n")
		p("them. (Cloud Functions builds from source with its own flags; the same flags are used here for all\n")
		p("contenders.) The example is built in the repository's module, the others in internal/bench's.\n\n")
		p("| cloud | GOARCH | raw | anyfunc | example | anyfunc ratio | example ratio |\n|---|---|---|---|---|---|---|\n")
		for _, s := range r.Sizes {
			raw := float64(s.Bytes["raw"])
			p("| %s | %s | %s | %s | %s | %s | %s |\n", cloudName[s.Cloud], s.GOARCH, mib(raw), mib(float64(s.Bytes["anyfunc"])),
				mib(float64(s.Bytes["example"])), ratio(float64(s.Bytes["anyfunc"]), raw), ratio(float64(s.Bytes["example"]), raw))
		}
		p("\n")
	}

	if haveBench {
		r.writeBench(w)
	}

	if haveSize || haveCold {
		p("## Causes\n\n")
	}
	if haveSize {
		p("### Size: the packages behind the difference\n\n")
		p("Symbol bytes per package group (`go tool nm -size` of the unstripped deploy builds), the largest\n")
		p("differences anyfunc − raw. Stripping removes the symbol table, not these bytes.\n\n")
		for _, s := range r.Sizes {
			a, raw := s.Pkgs["anyfunc"], s.Pkgs["raw"]
			p("%s (stripped: %+d B):\n\n| package | raw | anyfunc | difference |\n|---|---|---|---|\n", cloudName[s.Cloud], s.Bytes["anyfunc"]-s.Bytes["raw"])
			type d struct {
				pkg    string
				a, raw int64
			}
			var ds []d
			keys := map[string]bool{}
			for k := range a {
				keys[k] = true
			}
			for k := range raw {
				keys[k] = true
			}
			for k := range keys {
				ds = append(ds, d{k, a[k], raw[k]})
			}
			sort.Slice(ds, func(i, j int) bool {
				di, dj := abs(ds[i].a-ds[i].raw), abs(ds[j].a-ds[j].raw)
				return di > dj || di == dj && ds[i].pkg < ds[j].pkg
			})
			for _, x := range ds[:min(15, len(ds))] {
				p("| %s | %d | %d | %+d |\n", x.pkg, x.raw, x.a, x.a-x.raw)
			}
			p("\n")
		}
	}
	if haveCold {
		p("### Start-up: package initialisation\n\n")
		p("`GODEBUG=inittrace=1`: the sum of the `init` clock times of all packages (median of 5 runs) and\n")
		p("the slowest packages; this part of a cold start is spent before main.\n\n")
		p("| cloud | impl | init total | slowest packages |\n|---|---|---|---|\n")
		for _, in := range r.Inits {
			var top []string
			for _, t := range in.Top {
				top = append(top, fmt.Sprintf("%s %.2f ms", t.Pkg, t.MS))
			}
			p("| %s | %s | %.2f ms | %s |\n", cloudName[in.Cloud], in.Impl, in.TotalMS, strings.Join(top, ", "))
		}
		p("\n")
	}

	p("## Method\n\n")
	p("- Machine: %s.\n", strings.Join(r.Machine, "; "))
	p("- Load average (1, 5, 15 min) at the start: %s", r.LoadBefore)
	if haveCold {
		p("; after the cold starts: %s", r.LoadAfter)
	}
	if r.LoadEnd != "" {
		p("; at the end: %s", r.LoadEnd)
	}
	p(". The machine is shared\n")
	p("  with other engineers' test runs, so wall times carry their noise: contenders run interleaved,\n")
	p("  CPU time (rusage) is reported beside wall time and is the primary measure of the benchmarks,\n")
	p("  and ratios are only taken between samples of one run.\n")
	if haveCold {
		p("- Cold starts: the contenders of a cloud run interleaved, their order rotating every round, so\n")
		p("  drift hits all alike. Paths (package internal/bench/coldstart): Lambda through the fake Runtime API\n")
		p("  (adapters/awslambda/lambdatest) with an HTTP API v2 event; Cloud Functions through functions-framework-go's\n")
		p("  server (the first GET answered in full; the port is polled every 0.5 ms); Azure through the host's\n")
		p("  readiness probe (GET / until answered) and then one payload-mode invocation, with the example's\n")
		p("  deploy host.json switched to payload mode. One discarded warm-up round precedes the %d measured\n", r.N)
		p("  ones, so every binary is in the page cache.\n")
		p("- Stores: moto, the Firestore emulator and cosmosdb-server on this machine (internal/emulator). The\n")
		p("  todo is written once through the store packages; every contender must answer it with the same\n")
		p("  body and ETag in every round, or the report fails.\n")
	}
	if haveBench {
		p("- Benchmarks: the test binaries of internal/bench, handler and handler/middleware/otelmw are built\n")
		p("  once (`go test -c`) and run %d rounds, each round every benchmark once (`-test.count 1\n", r.BenchCount)
		p("  -test.benchtime %s -test.benchmem`), the contenders of a comparison back to back, so that the\n", r.BenchTime)
		p("  rounds interleave them. CPU is the process's CPU time per operation (getrusage: user + system, all\n")
		p("  threads, the garbage collector included), as the benchmarks report it (`cpu-ns/op`; the server\n")
		p("  process's `server-cpu-ns/op` for BenchmarkHTTPLoad). BenchmarkRouter, BenchmarkServeMux and\n")
		p("  BenchmarkRegister report none: each of their sub-benchmarks runs in a process of its own, once for\n")
		p("  the benchmark time and once for one iteration, and its CPU per op is the difference of the two\n")
		p("  processes' CPU times (the one-iteration process's median over the rounds) over the iterations\n")
		p("  less one; which contender of a pair runs first alternates every round.\n")
	}
	p("- Statistics: median and p95 by nearest rank; ratio = contender median / baseline median; p-values\n")
	p("  are the two-sided Mann-Whitney U test's (exact without ties), the test benchstat applies.\n")
}

// writeBench writes the per-invocation comparisons and the scaling tables.
func (r *report) writeBench(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Per-invocation cost\n\n")
	p("The benchmarks of internal/bench, handler and handler/middleware/otelmw, %d rounds interleaved\n", r.BenchCount)
	p("(see Method). CPU is the process's CPU time per operation, median and p95 over the rounds; the\n")
	p("ratios are to the baseline of the same table, with the U test's p-value and the rounds of each side.\n\n")
	for _, prog := range comparisons("", "") {
		for _, c := range prog.comps {
			if c.Title == "" {
				continue // a scaling table, below
			}
			var rows []*benchRow
			for i := range r.Bench {
				if r.Bench[i].Bench == c.Name {
					rows = append(rows, &r.Bench[i])
				}
			}
			if len(rows) == 0 {
				continue
			}
			p("### %s\n\n%s %s\n\n", c.Title, c.What, c.Baseline)
			cpuName := "CPU"
			if c.CPU == "server-cpu-ns/op" {
				cpuName = "server CPU"
			}
			// keyed names the contenders by their parameters too, when a
			// benchmark has any.
			keyed := func(b *benchRow) string {
				if b.Key == "" {
					return b.Impl
				}
				return b.Key + " " + b.Impl
			}
			if c.Name == "Observability" {
				p("| contender | CPU median | CPU p95 | wall median | allocs/op | B/op | CPU over bare | allocs over bare |\n|---|---|---|---|---|---|---|---|\n")
				for _, b := range rows {
					base := r.base(b)
					over, allocs := "–", "–"
					if base != nil && b != base {
						over = fmt.Sprintf("%+.2f µs (p=%s)", (med(b.CPU)-med(base.CPU))/1e3, pval(uTest(b.CPU, base.CPU)))
						allocs = fmt.Sprintf("%+.0f", med(b.Allocs)-med(base.Allocs))
					}
					p("| %s | %s | %s | %s | %.0f | %.0f | %s | %s |\n", keyed(b), ns(med(b.CPU)), ns(coldstart.Quantile(b.CPU, 0.95)), ns(med(b.Wall)),
						med(b.Allocs), med(b.Bytes), over, allocs)
				}
			} else if c.Base == "" {
				p("| measure | CPU median | CPU p95 | wall median | allocs/op | B/op |\n|---|---|---|---|---|---|\n")
				for _, b := range rows {
					p("| %s | %s | %s | %s | %.0f | %.0f |\n", keyed(b), ns(med(b.CPU)), ns(coldstart.Quantile(b.CPU, 0.95)), ns(med(b.Wall)),
						med(b.Allocs), med(b.Bytes))
				}
			} else {
				p("| contender | %s median | %s p95 | wall median | allocs/op | B/op | %s ratio | allocs ratio |\n|---|---|---|---|---|---|---|---|\n", cpuName, cpuName, cpuName)
				for _, b := range rows {
					base := r.base(b)
					ar := "–"
					if base != nil {
						ar = ratio(med(b.Allocs), med(base.Allocs))
					}
					p("| %s | %s | %s | %s | %.0f | %.0f | %s | %s |\n", keyed(b), ns(med(b.CPU)), ns(coldstart.Quantile(b.CPU, 0.95)), ns(med(b.Wall)),
						med(b.Allocs), med(b.Bytes), cpuRatio(b, base), ar)
				}
			}
			if t := r.earlierTargets(c.Name); t != "" {
				p("\n%s\n", t)
			}
			p("\n")
		}
	}

	var body, reg []*benchRow
	for i := range r.Bench {
		switch r.Bench[i].Bench {
		case "LambdaBody":
			body = append(body, &r.Bench[i])
		case "Register":
			reg = append(reg, &r.Bench[i])
		}
	}
	if len(body) == 0 && len(reg) == 0 {
		return
	}
	p("## Scaling\n\n")
	if len(body) > 0 {
		p("### Request body size: Lambda, 1 KB to 5 MB\n\n")
		p("BenchmarkLambdaBody invokes anyfunc's Lambda adapter and, as the baseline, a hand-written\n")
		p("aws-lambda-go handler on `events.APIGatewayV2HTTPRequest` (**raw**) with an HTTP API event whose\n")
		p("JSON body is 1 KB to 5 MB, delivered as a POST delivers it (a JSON string inside the event, its\n")
		p("quotes escaped); both answer the body's length and last byte, so each must hold the whole body.\n")
		p("*body-x* is the bytes allocated per invocation over the body's size.\n\n")
		p("| body | contender | CPU median | CPU p95 | CPU ratio | B/op | body-x | allocs/op |\n|---|---|---|---|---|---|---|---|\n")
		for _, b := range body {
			p("| %s | %s | %s | %s | %s | %s | %s | %.0f |\n", sizeLabel(b.Key), b.Impl, ns(med(b.CPU)), ns(coldstart.Quantile(b.CPU, 0.95)),
				cpuRatio(b, r.base(b)), bytesLabel(med(b.Bytes)), xLabel(b.Extra["body-x"]), med(b.Allocs))
		}
		p("\n")
	}
	if len(reg) > 0 {
		p("### Route count: registration, 10 to 1,000 routes\n\n")
		p("BenchmarkRegister (package handler) registers n patterns of a REST API (n/5 resources, each with\n")
		p("list, create, read, replace and delete) on a new `handler.Router` (**router**) and, as the baseline,\n")
		p("on a new net/http `ServeMux` (**servemux**); the CPU per registration of all n is measured per\n")
		scaled := false
		for _, b := range r.Bench {
			scaled = scaled || b.Bench == "RouterMatch" && strings.HasPrefix(b.Key, "routes=")
		}
		if scaled {
			p("process (see Method). Matching at these sizes is in the router-alone table above.\n\n")
		} else {
			p("process (see Method). Matching is measured at 20 routes only (the router-alone table above):\n")
			p("BenchmarkRouter and BenchmarkServeMux route among handler/router_test.go's fixed 20 routes, so\n")
			p("the report has no matching cost at 10 to 1,000 routes.\n\n")
		}
		p("| routes | router CPU | servemux CPU | ratio | router wall | servemux wall | router allocs | servemux allocs | router B/op | servemux B/op |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, b := range reg {
			if b.Impl == b.Base {
				continue
			}
			base := r.base(b)
			if base == nil {
				continue
			}
			n := strings.TrimPrefix(b.Key, "routes=")
			p("| %s | %s | %s | %s | %s | %s | %.0f | %.0f | %s | %s |\n", n, ns(med(b.CPU)), ns(med(base.CPU)), cpuRatio(b, base),
				ns(med(b.Wall)), ns(med(base.Wall)), med(b.Allocs), med(base.Allocs), bytesLabel(med(b.Bytes)), bytesLabel(med(base.Bytes)))
		}
		p("\n")
	}
}

// earlierTargets states the per-invocation targets of issues 4 and 5 that
// still apply to a comparison, computed from this run.
func (r *report) earlierTargets(name string) string {
	a := r.bench(name, "", "anyfunc")
	if a == nil || r.base(a) == nil {
		return ""
	}
	b := r.base(a)
	cpuOK := func(t float64) string { return met(med(a.CPU)/med(b.CPU) <= t, math.NaN()) }
	switch name {
	case "LambdaV2":
		s := fmt.Sprintf("Targets of issue 4: anyfunc ≤ 0.50× raw's CPU (%s: %s) and allocations (%s: %s)",
			ratio(med(a.CPU), med(b.CPU)), cpuOK(0.5), ratio(med(a.Allocs), med(b.Allocs)), met(med(a.Allocs)/med(b.Allocs) <= 0.5, math.NaN()))
		if px := r.bench(name, "", "apiproxy"); px != nil {
			f := med(px.CPU) / med(a.CPU)
			s += fmt.Sprintf("; anyfunc ≥ 2.5× faster than apiproxy (%.1f×: %s)", f, met(f >= 2.5, math.NaN()))
		}
		return s + "."
	case "GCF":
		return fmt.Sprintf("Target of issue 5: anyfunc ≤ 1.10× plain's CPU over loopback (%s: %s).", ratio(med(a.CPU), med(b.CPU)), cpuOK(1.10))
	}
	return ""
}

// ns formats a duration in nanoseconds with a unit a reader takes in.
func ns(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case x >= 1e6:
		return fmt.Sprintf("%.2f ms", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.1f µs", x/1e3)
	case x >= 1e3:
		return fmt.Sprintf("%.2f µs", x/1e3)
	}
	return fmt.Sprintf("%.0f ns", x)
}

// bytesLabel formats a byte count.
func bytesLabel(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MiB", b/(1<<20))
	case b >= 10<<10:
		return fmt.Sprintf("%.0f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// sizeLabel turns "size=5120KB" into "5 MB".
func sizeLabel(key string) string {
	v := strings.TrimSuffix(strings.TrimPrefix(key, "size="), "KB")
	kb, err := strconv.Atoi(v)
	if err != nil {
		return key
	}
	if kb >= 1024 && kb%1024 == 0 {
		return fmt.Sprintf("%d MB", kb/1024)
	}
	return fmt.Sprintf("%d KB", kb)
}

func xLabel(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", med(xs))
}
