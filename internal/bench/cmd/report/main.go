// Command report measures anyfunc against hand-written ("raw") functions
// and the usual alternatives, and writes BENCHMARKS.md at the repository
// root. Run it from internal/bench:
//
//	go run ./cmd/report                       # everything, about 15 minutes
//	go run ./cmd/report -n 40                 # more cold starts per contender
//	go run ./cmd/report -only bench           # the benchmarks alone, no cold start
//	go run ./cmd/report -only bench -benches 'HTTP|Register' -benchcount 6 -benchtime 0.3s -o /tmp/b.md
//	go run ./cmd/report -only size,coldstart -n 5
//
// -only takes a comma-separated list of the parts to measure: size (the
// deploy builds' sizes and the packages behind them), coldstart (package
// initialisation and the cold starts, with the store emulators) and bench
// (the per-invocation and scaling benchmarks); all three by default. A
// partial run writes a partial report (it says which parts it left out):
// give it -o to keep BENCHMARKS.md. -benches is a regular expression of
// the comparisons to run (LambdaV2, GCF, GCFHandler, AzurePayload,
// HTTPRouter, HTTPLoad, LambdaBody, RouterMatch, Register, Observability),
// -benchcount the rounds (at least 6 for a result to quote) and
// -benchtime each benchmark's go test -benchtime. -json saves the
// measurements, and -render FILE writes the report from them again
// without measuring (after a change to this command's text, or to
// notes.md).
//
// For the cold starts it builds the to-do example's entry points
// (examples/todo/cmd/lambda, cmd/gcf, cmd/azure) and the raw equivalents
// (internal/bench/cmd/raw*) with the deploy flags
// (examples/todo/deploy/build.sh), starts the store emulators (moto, the
// Firestore emulator, cosmosdb-server), writes one todo through the store
// packages, and then, -n times per contender, the contenders of a cloud
// interleaved, starts each binary cold and asks it for GET /todos/{id}
// through its platform's path (see package coldstart). All must give the
// same answer. It also measures the stripped sizes of the deploy builds,
// the package sizes behind a size difference (go tool nm -size on
// unstripped builds) and the package initialisation time of each binary
// (GODEBUG=inittrace=1).
//
// For the benchmarks it builds the test binaries of internal/bench,
// handler and handler/middleware/otelmw once (go test -c) and runs them
// -benchcount rounds, every benchmark once a round, the contenders of a
// comparison back to back, so that the rounds interleave them; CPU time
// per operation is the primary measure (see the report's Method section).
// The summary "Targets of issue 20" is computed from these measurements.
package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/internal/bench/coldstart"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/store"
	_ "github.com/anyfunc/anyfunc/store/awsdynamodb"
	"github.com/anyfunc/anyfunc/store/azurecosmos"
	_ "github.com/anyfunc/anyfunc/store/gcpfirestore"
)

// The todo both implementations read, and the caller.
const (
	todoID   = "01KBENCHTD0000000000000001"
	apiKeys  = "bench:bench-key-0123456789abcdef"
	apiKey   = "bench-key-0123456789abcdef"
	project  = "bench-project"
	function = "todo" // the Azure function folder of examples/todo/deploy/azure
)

// notes is the analysis appended to the tables: what the measured causes
// are and what would remove them. It is written by hand from the
// measurements of the Causes section; update it when they change.
//
//go:embed notes.md
var notes string

// impls are the contenders on each cloud: the hand-written function,
// anyfunc doing the same work (cmd/any*), and the to-do example's entry
// point with its whole middleware stack.
var impls = []string{"raw", "anyfunc", "example"}

// contender is one implementation on one cloud.
type contender struct {
	cloud coldstart.Cloud
	impl  string // one of impls
	// module is the directory to build in, pkg the package.
	module, pkg string
	tags        string
	// goarch is the deploy architecture.
	goarch string
	// bin is the build for this machine (cold starts), deployBin the
	// stripped deploy build, symBin the deploy build with its symbol table.
	bin, deployBin, symBin string
	env                    []string
}

// parts are the parts of a run, in the order they run.
var parts = []string{"size", "coldstart", "bench"}

func main() {
	n := flag.Int("n", 20, "cold starts per contender")
	only := flag.String("only", strings.Join(parts, ","), "the parts to measure, comma-separated: size, coldstart, bench")
	benchCount := flag.Int("benchcount", 6, "rounds of the benchmarks (interleaved runs of each)")
	benchTime := flag.String("benchtime", "1s", "go test -benchtime of each benchmark run")
	benches := flag.String("benches", "", "run only the comparisons whose name matches this regular expression")
	out := flag.String("o", "", "output file (default BENCHMARKS.md at the repository root)")
	save := flag.String("json", "", "also save the measurements to this JSON file")
	render := flag.String("render", "", "measure nothing: render the measurements saved in this JSON file")
	flag.StringVar(&overlay, "overlay", "", "build the anyfunc and example contenders with go build -overlay FILE (to measure a change before making it)")
	flag.Parse()
	o := options{n: *n, out: *out, save: *save, render: *render, bench: benchOptions{count: *benchCount, time: *benchTime}}
	o.parts = map[string]bool{}
	for _, p := range strings.Split(*only, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(parts, p) {
			log.Fatalf("-only %q: the parts are %s", *only, strings.Join(parts, ", "))
		}
		o.parts[p] = true
	}
	if *benches != "" {
		re, err := regexp.Compile(*benches)
		if err != nil {
			log.Fatalf("-benches: %v", err)
		}
		o.bench.filter = re
	}
	if *benchCount < 1 || *n < 1 {
		log.Fatal("-n and -benchcount must be at least 1")
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

// options are the flags.
type options struct {
	n                 int
	parts             map[string]bool
	bench             benchOptions
	out, save, render string
}

// overlay is the -overlay flag.
var overlay string

func run(o options) error {
	benchDir, err := os.Getwd()
	if err != nil {
		return err
	}
	root := filepath.Clean(filepath.Join(benchDir, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "examples", "todo", "deploy", "azure", "host.json")); err != nil {
		return errors.New("run this from internal/bench: " + err.Error())
	}
	out := o.out
	if out == "" {
		out = filepath.Join(root, "BENCHMARKS.md")
	}
	if o.render != "" {
		b, err := os.ReadFile(o.render)
		if err != nil {
			return err
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", o.render, err)
		}
		return r.writeFile(out)
	}
	tmp, err := os.MkdirTemp("", "anyfunc-report-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	r := &report{N: o.n, Started: time.Now().UTC(), Machine: machine(), LoadBefore: loadavg(), Overlay: overlay}
	for _, p := range parts {
		if o.parts[p] {
			r.Parts = append(r.Parts, p)
		}
	}
	if o.parts["size"] || o.parts["coldstart"] {
		if err := r.coldStarts(root, benchDir, tmp, o); err != nil {
			return err
		}
	}
	r.LoadAfter = loadavg()
	if o.parts["bench"] {
		r.BenchCount, r.BenchTime = o.bench.count, o.bench.time
		if o.bench.filter != nil {
			r.BenchFilter = o.bench.filter.String()
		}
		log.Printf("benchmarks: %d rounds, -benchtime %s", o.bench.count, o.bench.time)
		if err := r.benchmarks(tmp, comparisons(root, benchDir), o.bench); err != nil {
			return err
		}
	}
	r.LoadEnd = loadavg()
	if o.save != "" {
		b, err := json.MarshalIndent(r, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.save, b, 0o644); err != nil {
			return err
		}
	}
	return r.writeFile(out)
}

// coldStarts builds the contenders and, as o asks, measures their sizes,
// and their package initialisation and cold starts.
func (r *report) coldStarts(root, benchDir, tmp string, o options) error {
	cs := []*contender{
		{cloud: coldstart.Lambda, impl: "raw", module: benchDir, pkg: "./cmd/rawlambda", tags: "lambda.norpc", goarch: "arm64"},
		{cloud: coldstart.Lambda, impl: "anyfunc", module: benchDir, pkg: "./cmd/anylambda", tags: "lambda.norpc", goarch: "arm64"},
		{cloud: coldstart.Lambda, impl: "example", module: root, pkg: "./examples/todo/cmd/lambda", tags: "lambda.norpc", goarch: "arm64"},
		{cloud: coldstart.GCF, impl: "raw", module: benchDir, pkg: "./cmd/rawgcf", goarch: "amd64"},
		{cloud: coldstart.GCF, impl: "anyfunc", module: benchDir, pkg: "./cmd/anygcf", goarch: "amd64"},
		{cloud: coldstart.GCF, impl: "example", module: root, pkg: "./examples/todo/cmd/gcf", goarch: "amd64"},
		{cloud: coldstart.Azure, impl: "raw", module: benchDir, pkg: "./cmd/rawazure", goarch: "amd64"},
		{cloud: coldstart.Azure, impl: "anyfunc", module: benchDir, pkg: "./cmd/anyazure", goarch: "amd64"},
		{cloud: coldstart.Azure, impl: "example", module: root, pkg: "./examples/todo/cmd/azure", goarch: "amd64"},
	}
	log.Printf("building %d contenders", len(cs))
	for _, c := range cs {
		if err := c.build(tmp); err != nil {
			return err
		}
	}
	if o.parts["size"] {
		r.sizes(cs)
	}
	if !o.parts["coldstart"] {
		return nil
	}
	r.inits(cs)

	ctx := context.Background()
	stops, err := emulators(ctx, cs)
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	if err != nil {
		return err
	}
	appDir := filepath.Join(tmp, "azureapp")
	if err := coldstart.WriteAzureApp(appDir, filepath.Join(root, "examples", "todo", "deploy", "azure"), function, "handler"); err != nil {
		return err
	}
	req := coldstart.Request{Path: "/todos/" + todoID, Header: http.Header{"X-Api-Key": {apiKey}, "User-Agent": {"anyfunc-coldstart/1"}}}
	targets := make([]coldstart.Target, len(cs))
	for i, c := range cs {
		targets[i] = coldstart.Target{Cloud: c.cloud, Impl: c.impl, Binary: c.bin, Env: c.env}
		if c.cloud == coldstart.Azure {
			targets[i].AppDir, targets[i].FunctionName = appDir, function
		}
	}
	log.Printf("cold starts: %d per contender, interleaved", o.n)
	for rep := -1; rep < o.n; rep++ { // rep -1 warms the page cache and is not kept
		for group := 0; group < len(targets); group += len(impls) {
			// The order rotates every round, so that drift in the
			// machine's load hits every contender alike.
			for j := range impls {
				i := group + (j+rep+len(impls))%len(impls)
				rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				s, err := coldstart.Run(rctx, targets[i], req)
				cancel()
				if err != nil {
					return err
				}
				if rep >= 0 {
					r.Samples = append(r.Samples, s)
				}
			}
		}
		if err := r.checkAnswers(); err != nil {
			return err
		}
	}
	return nil
}

func (r *report) writeFile(out string) error {
	var b bytes.Buffer
	r.write(&b)
	b.WriteString(notes)
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s", out)
	return nil
}

// build makes the three builds of c.
func (c *contender) build(tmp string) error {
	name := string(c.cloud) + "-" + c.impl
	goBuild := func(out, goarch, ldflags string) error {
		args := []string{"build", "-trimpath", "-o", out}
		if c.tags != "" {
			args = append(args, "-tags", c.tags)
		}
		if ldflags != "" {
			args = append(args, "-ldflags", ldflags)
		}
		if overlay != "" && c.impl != "raw" {
			args = append(args, "-overlay", overlay)
		}
		cmd := exec.Command("go", append(args, c.pkg)...)
		cmd.Dir = c.module
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s (%s): %v\n%s", name, goarch, err, b)
		}
		return nil
	}
	c.deployBin = filepath.Join(tmp, name+"-deploy")
	c.symBin = filepath.Join(tmp, name+"-symbols")
	c.bin = c.deployBin
	if err := goBuild(c.deployBin, c.goarch, "-s -w"); err != nil {
		return err
	}
	if err := goBuild(c.symBin, c.goarch, ""); err != nil {
		return err
	}
	if c.goarch != runtime.GOARCH {
		c.bin = filepath.Join(tmp, name)
		return goBuild(c.bin, runtime.GOARCH, "-s -w")
	}
	return nil
}

// emulators starts the three stores, writes the todo into each, and sets
// each contender's environment.
func emulators(ctx context.Context, cs []*contender) ([]func(), error) {
	var stops []func()
	launch := func(s emulator.Spec) (string, error) {
		log.Printf("starting %s", s.Name)
		ep, stop, err := emulator.Launch(s)
		stops = append(stops, stop)
		return ep, err
	}
	moto, err := launch(emulator.Moto)
	if err != nil {
		return stops, err
	}
	fsHost, err := launch(emulator.Firestore)
	if err != nil {
		return stops, err
	}
	cosmos, err := launch(emulator.CosmosDBServer)
	if err != nil {
		return stops, err
	}
	cert, _, err := emulator.CosmosDBServerCert()
	if err != nil {
		return stops, err
	}
	aws := []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_EC2_METADATA_DISABLED=true"}
	cosmosURL := "cosmos://local/app/todos?endpoint=" + cosmos + "&key=emulator&cert_file=" + cert + "&server=cosmosdb-server"
	urls := map[coldstart.Cloud]string{
		coldstart.Lambda: "dynamodb://todos?region=us-east-1&endpoint=" + moto,
		coldstart.GCF:    "firestore://" + project + "/todos",
		coldstart.Azure:  cosmosURL,
	}
	for _, c := range cs {
		c.env = []string{"TODO_API_KEYS=" + apiKeys}
		switch {
		case c.cloud == coldstart.Lambda:
			c.env = append(c.env, aws...)
		case c.cloud == coldstart.GCF:
			c.env = append(c.env, "FIRESTORE_EMULATOR_HOST="+fsHost, "GOOGLE_CLOUD_PROJECT="+project)
		}
		switch {
		case c.impl != "raw":
			c.env = append(c.env, "TODO_STORE_URL="+urls[c.cloud])
		case c.cloud == coldstart.Lambda:
			c.env = append(c.env, "TABLE_NAME=todos", "AWS_ENDPOINT_URL_DYNAMODB="+moto)
		case c.cloud == coldstart.GCF:
			c.env = append(c.env, "COLLECTION=todos")
		case c.cloud == coldstart.Azure:
			c.env = append(c.env, "COSMOS_ENDPOINT="+cosmos, "COSMOS_KEY="+azurecosmos.EmulatorKey,
				"COSMOS_DATABASE=app", "COSMOS_CONTAINER=todos", "COSMOS_CERT_FILE="+cert)
		}
	}
	// The todo, written as the example writes it.
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"} {
		for _, kv := range aws {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				os.Setenv(k, v)
			}
		}
	}
	os.Setenv("FIRESTORE_EMULATOR_HOST", fsHost)
	created := time.Date(2026, 11, 1, 9, 30, 0, 123456789, time.UTC)
	due := "2026-12-24"
	t := todo.Todo{ID: todoID, Title: "Measure the cold start", Due: &due, CreatedAt: created, UpdatedAt: created}
	for _, cloud := range []coldstart.Cloud{coldstart.Lambda, coldstart.GCF, coldstart.Azure} {
		u := urls[cloud]
		if strings.Contains(u, "?") {
			u += "&ensure=1"
		} else {
			u += "?ensure=1"
		}
		s, err := store.Open(ctx, u)
		if err != nil {
			return stops, fmt.Errorf("opening %s: %w", u, err)
		}
		_, err = store.NewCollection[todo.Todo](s).Put(ctx, store.Entry[todo.Todo]{Key: store.Key{Partition: "user/apikey:bench", Sort: todoID}, Value: t})
		s.Close()
		if err != nil {
			return stops, fmt.Errorf("writing the todo to %s: %w", cloud, err)
		}
	}
	return stops, nil
}

// report is everything measured.
type report struct {
	N                     int
	Started               time.Time
	Machine               []string
	LoadBefore, LoadAfter string
	LoadEnd               string
	Overlay               string
	Samples               []coldstart.Sample
	Sizes                 []sizeRow
	Inits                 []initRow
	Bench                 []benchRow
	// Parts are the parts measured (see -only); the benchmarks' rounds,
	// -benchtime and -benches filter.
	Parts                  []string
	BenchCount             int
	BenchTime, BenchFilter string
	// BenchErrors are the benchmarks that failed to build or run.
	BenchErrors []string
}

// checkAnswers requires every answer to be a 200 and the same, body and
// ETag, for both implementations of a cloud.
func (r *report) checkAnswers() error {
	first := map[coldstart.Cloud]coldstart.Sample{}
	for _, s := range r.Samples {
		a := s.Answer
		if a.Status != http.StatusOK || a.Header.Get("Content-Type") != "application/json" || a.Header.Get("ETag") == "" {
			return fmt.Errorf("%s/%s answered %d %v %s", s.Cloud, s.Impl, a.Status, a.Header, a.Body)
		}
		f, ok := first[s.Cloud]
		if !ok {
			first[s.Cloud] = s
			continue
		}
		if !bytes.Equal(a.Body, f.Answer.Body) || a.Header.Get("ETag") != f.Answer.Header.Get("ETag") {
			return fmt.Errorf("%s: %s answered %s %s, %s answered %s %s", s.Cloud, s.Impl, a.Header.Get("ETag"), a.Body,
				f.Impl, f.Answer.Header.Get("ETag"), f.Answer.Body)
		}
	}
	return nil
}

type sizeRow struct {
	Cloud  coldstart.Cloud
	GOARCH string
	// Bytes and Pkgs (symbol bytes per package group) per impl.
	Bytes map[string]int64
	Pkgs  map[string]map[string]int64
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return fi.Size()
}

func (r *report) sizes(cs []*contender) {
	for i := 0; i < len(cs); i += len(impls) {
		row := sizeRow{Cloud: cs[i].cloud, GOARCH: cs[i].goarch, Bytes: map[string]int64{}, Pkgs: map[string]map[string]int64{}}
		for _, c := range cs[i : i+len(impls)] {
			row.Bytes[c.impl] = fileSize(c.deployBin)
			row.Pkgs[c.impl] = nmPackages(c.symBin)
		}
		r.Sizes = append(r.Sizes, row)
	}
}

// nmPackages sums the symbol sizes of a binary per module-ish package
// prefix, from go tool nm -size.
func nmPackages(bin string) map[string]int64 {
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		log.Printf("go tool nm %s: %v", bin, err)
		return nil
	}
	m := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		m[pkgGroup(strings.Join(f[3:], " "))] += size
	}
	return m
}

var genericArgs = regexp.MustCompile(`\[.*$`)

// pkgGroup names the package a symbol belongs to, cut to a group a reader
// can act on: the module path for dependencies (github.com/owner/repo and
// its first directory), the package for anyfunc and the standard library.
func pkgGroup(sym string) string {
	sym = strings.TrimPrefix(sym, "type:.eq.")
	sym = strings.TrimPrefix(sym, "type:")
	sym = strings.TrimPrefix(sym, "go:")
	sym = strings.TrimPrefix(sym, "*")
	sym = genericArgs.ReplaceAllString(sym, "")
	// The package path ends before the first '.' after the last '/'.
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	pkg := sym
	if dot >= 0 {
		pkg = sym[:slash+1+dot]
	}
	parts := strings.Split(pkg, "/")
	switch {
	case strings.HasPrefix(pkg, "github.com/anyfunc/anyfunc/"):
		return pkg
	case !strings.Contains(parts[0], "."):
		if len(parts) > 2 {
			parts = parts[:2]
		}
		return "std:" + strings.Join(parts, "/")
	case len(parts) > 5:
		parts = parts[:5]
	}
	return strings.Join(parts, "/")
}

type initRow struct {
	Cloud         coldstart.Cloud
	Impl          string
	TotalMS       float64
	Top           []initPkg
	AllocsByBytes int64
}

type initPkg struct {
	Pkg string
	MS  float64
}

var initLine = regexp.MustCompile(`^init (\S+) @\S+ ms, ([0-9.]+) ms clock, ([0-9]+) bytes`)

// inits runs each binary with GODEBUG=inittrace=1 (it exits on its missing
// configuration once its packages are initialised) and sums the package
// initialisation times, five runs, median per package.
func (r *report) inits(cs []*contender) {
	for _, c := range cs {
		runs := map[string][]float64{}
		var totals []float64
		var bytesTotal int64
		for i := 0; i < 5; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			cmd := exec.CommandContext(ctx, c.bin)
			cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "TODO_API_KEYS=", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1",
				"PORT=1", "FUNCTIONS_CUSTOMHANDLER_PORT=1", "GOOGLE_CLOUD_PROJECT=")
			out, _ := cmd.CombinedOutput()
			cancel()
			var total float64
			bytesTotal = 0
			for _, line := range strings.Split(string(out), "\n") {
				m := initLine.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				ms, _ := strconv.ParseFloat(m[2], 64)
				b, _ := strconv.ParseInt(m[3], 10, 64)
				runs[m[1]] = append(runs[m[1]], ms)
				total += ms
				bytesTotal += b
			}
			totals = append(totals, total)
		}
		row := initRow{Cloud: c.cloud, Impl: c.impl, TotalMS: coldstart.Quantile(totals, 0.5), AllocsByBytes: bytesTotal}
		for p, ms := range runs {
			row.Top = append(row.Top, initPkg{p, coldstart.Quantile(ms, 0.5)})
		}
		sort.Slice(row.Top, func(i, j int) bool { return row.Top[i].MS > row.Top[j].MS })
		if len(row.Top) > 6 {
			row.Top = row.Top[:6]
		}
		r.Inits = append(r.Inits, row)
	}
}

func machine() []string {
	var m []string
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m = append(m, "CPU: "+strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))+fmt.Sprintf(", %d logical CPUs", runtime.NumCPU()))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		if len(f) >= 2 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			m = append(m, fmt.Sprintf("memory: %.1f GiB", kb/(1<<20)))
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m = append(m, "kernel: Linux "+strings.TrimSpace(string(b)))
	}
	if b, err := exec.Command("go", "version").Output(); err == nil {
		m = append(m, "toolchain: "+strings.TrimSpace(string(b)))
	}
	return m
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// stat is the median and p95 of a metric for one contender.
type stat struct{ med, p95 float64 }

func statOf(xs []float64) stat {
	return stat{coldstart.Quantile(xs, 0.5), coldstart.Quantile(xs, 0.95)}
}

func (r *report) metric(cloud coldstart.Cloud, impl string, f func(coldstart.Sample) float64) stat {
	var xs []float64
	for _, s := range r.Samples {
		if s.Cloud == cloud && s.Impl == impl {
			xs = append(xs, f(s))
		}
	}
	return statOf(xs)
}

func ratio(a, b float64) string {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// verdict marks a ratio against its target.
func verdict(a, b, target float64) string {
	if b == 0 {
		return "–"
	}
	if a/b <= target {
		return fmt.Sprintf("met (≤ %.2f×)", target)
	}
	return fmt.Sprintf("**missed** (≤ %.2f×)", target)
}

var clouds = []coldstart.Cloud{coldstart.Lambda, coldstart.GCF, coldstart.Azure}

var cloudName = map[coldstart.Cloud]string{
	coldstart.Lambda: "Lambda (DynamoDB / moto)",
	coldstart.GCF:    "Cloud Functions (Firestore emulator)",
	coldstart.Azure:  "Azure custom handler (cosmosdb-server)",
}

func ms(d float64) string  { return fmt.Sprintf("%.1f ms", d) }
func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
