package main

import (
	"strings"
	"testing"
)

func TestParseAndPlace(t *testing.T) {
	out := strings.Join([]string{
		"goos: linux",
		"BenchmarkLambdaV2/anyfunc-2         \t  200000\t      5026 ns/op\t 110.01 MB/s\t      6028 cpu-ns/op\t    3648 B/op\t      15 allocs/op",
		"BenchmarkLambdaBody/size=5120KB/impl=raw-2 \t 20\t 42640000 ns/op\t 123.0 MB/s\t 42000000 cpu-ns/op\t 5.380 body-x\t 28206000 B/op\t 114 allocs/op",
		"BenchmarkObservability/observed-noop-sdk-2 \t 2000\t 7674 ns/op\t 1976 cpu-ns/op\t 896 B/op\t 9 allocs/op",
		"BenchmarkRouter-2     \t 1000000\t       289.1 ns/op\t       0 B/op\t       0 allocs/op",
		"BenchmarkRegister/routes=1000/impl=servemux-2 \t 73\t 6488558 ns/op\t 791857 B/op\t 10919 allocs/op",
		"PASS",
	}, "\n")
	rs := parseBench(out)
	if len(rs) != 5 {
		t.Fatalf("parsed %d results, want 5: %+v", len(rs), rs)
	}
	if rs[1].Name != "LambdaBody/size=5120KB/impl=raw" || rs[1].N != 20 || rs[1].Metrics["body-x"] != 5.38 || rs[1].Metrics["allocs/op"] != 114 {
		t.Errorf("LambdaBody line: %+v", rs[1])
	}
	progs := comparisons("/root", "/root/internal/bench")
	find := func(name string) (c *comparison, key, impl string, ok bool) {
		for _, p := range progs {
			if c, key, impl, ok := p.place(name); ok {
				return c, key, impl, ok
			}
		}
		return nil, "", "", false
	}
	for _, c := range []struct{ name, comp, key, impl string }{
		{"LambdaV2/anyfunc", "LambdaV2", "", "anyfunc"},
		{"LambdaBody/size=5120KB/impl=raw", "LambdaBody", "size=5120KB", "raw"},
		{"Observability/observed-noop-sdk", "Observability", "", "observed-noop-sdk"},
		{"Router", "RouterMatch", "", "router"},
		{"ServeMux", "RouterMatch", "", "servemux"},
		{"Register/routes=1000/impl=servemux", "Register", "routes=1000", "servemux"},
	} {
		comp, key, impl, ok := find(c.name)
		if !ok || comp.Name != c.comp || key != c.key || impl != c.impl {
			t.Errorf("%s: placed in %v %q %q (%v), want %s %q %q", c.name, comp, key, impl, ok, c.comp, c.key, c.impl)
		}
	}
	if _, _, _, ok := find("Unknown/impl=x"); ok {
		t.Error("a benchmark of no comparison was placed")
	}
	if got, want := subPattern("Register/routes=10/impl=router"), "^BenchmarkRegister$/^routes=10$/^impl=router$"; got != want {
		t.Errorf("subPattern = %s, want %s", got, want)
	}
}
