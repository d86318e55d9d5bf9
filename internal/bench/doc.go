// Package bench holds anyfunc's comparative benchmarks: each adapter
// against a hand-written handler on the platform's own SDK and against the
// popular net/http bridge for that platform, all doing the same work on the
// same input, with a test checking that they give the same answer.
//
// It is a separate module (with a replace directive pointing at the
// repository root) so that the library's go.mod gains none of the
// competitors' dependencies. Run it from this directory:
//
//	go test -run '^$' -bench . -count 6 -benchmem > new.txt && benchstat new.txt
//
// Besides sec/op, the benchmarks report cpu-ns/op, the process CPU time per
// operation, which a loaded machine disturbs less. To compare contenders
// with ratios, interleave the runs and name the sub-benchmarks as a key:
//
//	go test -c -o bench.test . && for i in $(seq 10); do ./bench.test -test.run '^$' -test.bench LambdaV2 -test.benchmem; done > raw.txt
//	sed -E 's#LambdaV2/(anyfunc|raw|apiproxy)#LambdaV2/impl=\1#' raw.txt > impl.txt
//	benchstat -col '/impl@(raw anyfunc apiproxy)' impl.txt
//
// Besides the per-platform contenders, BenchmarkHTTPRouter serves the same
// 20 routes and JSON answer through anyfunc's Router behind httpserver,
// net/http's ServeMux and chi, in process; BenchmarkHTTPLoad runs each of
// them in a server process of its own (this test binary, as
// TestLoadServer) under keep-alive load and reports the server's CPU per
// request (server-cpu-ns/op); BenchmarkLambdaBody scales the request body
// from 1 KB to 5 MB and reports body-x, the bytes allocated per invocation
// over the body's size. The router's registration cost from 10 to 1,000
// routes against ServeMux is BenchmarkRegister in package handler.
//
// # Cold start, memory and size
//
// The commands under cmd/ are whole functions for the to-do example's
// GET /todos/{id}: rawlambda, rawgcf and rawazure written by hand on each
// cloud's SDKs, and anylambda, anygcf and anyazure doing the same work
// with anyfunc (package anytodo). Package coldstart starts a binary and
// measures the time to its first complete answer through the platform's
// path, its CPU time and its peak RSS. cmd/report builds these and the
// example's own entry points with the deploy flags, starts the store
// emulators, runs the cold starts interleaved, measures binary sizes and
// their causes, runs the benchmarks above, and writes BENCHMARKS.md at the
// repository root:
//
//	go run ./cmd/report
//
// The benchmarks it runs are those above, with BenchmarkRegister, BenchmarkRouter
// and BenchmarkServeMux of package handler and BenchmarkObservability of
// package handler/middleware/otelmw, interleaved and with CPU time as the
// measure, and computes the report's table of the targets of issue 20.
// To iterate on one part, -only picks the parts (size, coldstart, bench),
// -n the cold starts per contender, -benches the comparisons,
// -benchcount the rounds and -benchtime each run's length; a partial run
// says so in the report, so write it elsewhere with -o:
//
//	go run ./cmd/report -only bench -benches 'HTTPRouter|HTTPLoad' -benchcount 6 -benchtime 0.3s -o /tmp/b.md
//
// The command's doc lists every flag. None of this runs under go test,
// which here runs only fast checks.
package bench
