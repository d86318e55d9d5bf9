// Command report measures anyfunc against hand-written ("raw") functions
// and writes BENCHMARKS.md at the repository root. Run it from
// internal/bench:
//
//	go run ./cmd/report            # everything, about 10 minutes
//	go run ./cmd/report -n 40      # more cold starts per contender
//	go run ./cmd/report -bench=false
//
// It builds the to-do example's entry points (examples/todo/cmd/lambda,
// cmd/gcf, cmd/azure) and the raw equivalents (internal/bench/cmd/raw*)
// with the deploy flags (examples/todo/deploy/build.sh), starts the store
// emulators (moto, the Firestore emulator, cosmosdb-server), writes one
// todo through the store packages, and then, -n times per contender,
// anyfunc and raw interleaved, starts each binary cold and asks it for
// GET /todos/{id} through its platform's path (see package coldstart).
// Both must give the same answer. It also measures the stripped sizes of
// the deploy builds, the package sizes behind a size difference (go tool
// nm -size on unstripped builds), the package initialisation time of each
// binary (GODEBUG=inittrace=1), and, with -bench, the per-invocation CPU
// benchmarks of this module (go test -bench).
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

func main() {
	n := flag.Int("n", 20, "cold starts per contender")
	bench := flag.Bool("bench", true, "also run the per-invocation benchmarks")
	benchCount := flag.Int("benchcount", 6, "go test -count for the per-invocation benchmarks")
	out := flag.String("o", "", "output file (default BENCHMARKS.md at the repository root)")
	save := flag.String("json", "", "also save the measurements to this JSON file")
	render := flag.String("render", "", "measure nothing: render the measurements saved in this JSON file")
	flag.StringVar(&overlay, "overlay", "", "build the anyfunc and example contenders with go build -overlay FILE (to measure a change before making it)")
	flag.Parse()
	if err := run(*n, *bench, *benchCount, *out, *save, *render); err != nil {
		log.Fatal(err)
	}
}

// overlay is the -overlay flag.
var overlay string

func run(n int, bench bool, benchCount int, out, save, render string) error {
	benchDir, err := os.Getwd()
	if err != nil {
		return err
	}
	root := filepath.Clean(filepath.Join(benchDir, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "examples", "todo", "deploy", "azure", "host.json")); err != nil {
		return errors.New("run this from internal/bench: " + err.Error())
	}
	if out == "" {
		out = filepath.Join(root, "BENCHMARKS.md")
	}
	if render != "" {
		b, err := os.ReadFile(render)
		if err != nil {
			return err
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", render, err)
		}
		return r.writeFile(out)
	}
	tmp, err := os.MkdirTemp("", "anyfunc-report-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	r := &report{N: n, Started: time.Now().UTC(), Machine: machine(), LoadBefore: loadavg(), Overlay: overlay}
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
	r.sizes(cs)
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
	log.Printf("cold starts: %d per contender, interleaved", n)
	for rep := -1; rep < n; rep++ { // rep -1 warms the page cache and is not kept
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
	r.LoadAfter = loadavg()
	if bench {
		log.Printf("per-invocation benchmarks (-count %d)", benchCount)
		if err := r.benchmarks(benchDir, benchCount); err != nil {
			return err
		}
	}
	if save != "" {
		b, err := json.MarshalIndent(r, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(save, b, 0o644); err != nil {
			return err
		}
	}
	return r.writeFile(out)
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
	Overlay               string
	Samples               []coldstart.Sample
	Sizes                 []sizeRow
	Inits                 []initRow
	Bench                 []benchRow
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

type benchRow struct {
	Name, Impl string
	Base       string // the impl the ratio is to
	CPU, Wall  []float64
	Allocs     float64
}

var benchLine = regexp.MustCompile(`^Benchmark(\w+)/(?:impl=)?(\w+)-\d+\s+\d+\s+([0-9.]+) ns/op.*?([0-9.]+) cpu-ns/op(?:.*?([0-9]+) allocs/op)?`)

// benchmarks runs this module's per-invocation benchmarks.
func (r *report) benchmarks(dir string, count int) error {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^(BenchmarkLambdaV2|BenchmarkGCF|BenchmarkAzurePayload)$",
		"-benchmem", "-count", strconv.Itoa(count), ".")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go test -bench: %v\n%s", err, out)
	}
	rows := map[string]*benchRow{}
	var order []string
	for _, line := range strings.Split(string(out), "\n") {
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := m[1] + "/" + m[2]
		row := rows[key]
		if row == nil {
			row = &benchRow{Name: m[1], Impl: m[2]}
			rows[key] = row
			order = append(order, key)
		}
		wall, _ := strconv.ParseFloat(m[3], 64)
		cpu, _ := strconv.ParseFloat(m[4], 64)
		row.Wall = append(row.Wall, wall)
		row.CPU = append(row.CPU, cpu)
		if m[5] != "" {
			row.Allocs, _ = strconv.ParseFloat(m[5], 64)
		}
	}
	for _, k := range order {
		row := rows[k]
		for _, base := range []string{"raw", "plain", "handwritten"} {
			if _, ok := rows[row.Name+"/"+base]; ok {
				row.Base = base
			}
		}
		r.Bench = append(r.Bench, *row)
	}
	if len(r.Bench) == 0 {
		return fmt.Errorf("go test -bench printed no benchmark line:\n%s", out)
	}
	return nil
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

func (r *report) write(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	wall := func(s coldstart.Sample) float64 { return float64(s.Wall) / 1e6 }
	ready := func(s coldstart.Sample) float64 { return float64(s.Ready) / 1e6 }
	cpu := func(s coldstart.Sample) float64 { return float64(s.CPU()) / 1e6 }
	rss := func(s coldstart.Sample) float64 { return float64(s.MaxRSS) }
	size := func(c coldstart.Cloud, impl string) float64 {
		for _, s := range r.Sizes {
			if s.Cloud == c {
				return float64(s.Bytes[impl])
			}
		}
		return math.NaN()
	}

	p("# Benchmarks\n\n")
	p("anyfunc against hand-written (\"raw\") functions doing the same work: the to-do example's\n")
	p("`GET /todos/{id}` (an API key check, one store read, a JSON answer with an ETag) on each cloud.\n")
	p("Generated by `cd internal/bench && go run ./cmd/report` (%s); do not edit by hand.\n\n", r.Started.Format("2006-01-02 15:04 UTC"))
	if r.Overlay != "" {
		p("**What-if run**: anyfunc and the example were built with `go build -overlay %s`.\n\n", r.Overlay)
	}
	p("Contenders on each cloud:\n\n")
	p("- **raw**: hand-written on the platform's SDKs (internal/bench/cmd/rawlambda, rawgcf, rawazure).\n")
	p("- **anyfunc**: the same GET written with anyfunc (internal/bench/anytodo) behind `middleware.APIKey`, through anyfunc's\n")
	p("  adapter and store backend: the same work as raw (internal/bench/cmd/anylambda, anygcf, anyazure).\n")
	p("- **example**: the issue-12 entry points as deployed (examples/todo/cmd/lambda, examples/todo/gcp,\n")
	p("  examples/todo/cmd/azure) with the example's whole middleware stack: tracing, metrics and log\n")
	p("  middleware, the store-backed rate limit (one atomic UpdateItem per request) and idempotency.\n")
	p("  It does more work than raw; its ratio shows what those features cost.\n\n")

	p("## Summary: the targets of issue 11, as ratios to raw measured in this run\n\n")
	p("| cloud | contender | cold start (wall) | cold start (CPU) | peak RSS | binary size |\n|---|---|---|---|---|---|\n")
	for _, c := range clouds {
		for _, impl := range impls[1:] {
			wa, wr := r.metric(c, impl, wall).med, r.metric(c, "raw", wall).med
			ca, cr := r.metric(c, impl, cpu).med, r.metric(c, "raw", cpu).med
			ra, rr := r.metric(c, impl, rss).med, r.metric(c, "raw", rss).med
			sa, sr := size(c, impl), size(c, "raw")
			p("| %s | %s | %s %s | %s %s | %s %s | %s %s |\n", cloudName[c], impl,
				ratio(wa, wr), verdict(wa, wr, 1.05), ratio(ca, cr), verdict(ca, cr, 1.05),
				ratio(ra, rr), verdict(ra, rr, 1.10), ratio(sa, sr), verdict(sa, sr, 1.05))
		}
	}
	p("\nTargets: cold start ≤ 1.05×, peak RSS ≤ 1.10×, size ≤ 1.05× (medians). The cold-start target is\n")
	p("for wall time; CPU time is shown beside it because this machine is shared (see Method), and a\n")
	p("wall-time ratio within the spread of the p95 column says little. Where a target is missed,\n")
	p("[Causes](#causes) gives the measurement that explains it, and the [Notes](#notes-why-targets-are-missed-and-what-would-remove-it)\n")
	p("at the end say what would remove it.\n\n")

	p("## Cold start\n\n")
	p("Time from `exec` of the binary to the first complete answer, %d cold starts per contender,\n", r.N)
	p("the contenders of a cloud interleaved. *Ready* is the time to the platform's readiness signal\n")
	p("(first accepted connection on Cloud Functions, first answer to the host's probe on Azure; Lambda's\n")
	p("runtime has none), so *wall − ready* is the first request. CPU is the process's user + system\n")
	p("time (wait4 rusage) over its whole life, which after the answer is idle.\n\n")
	p("| cloud | impl | wall median | wall p95 | ready median | CPU median | CPU p95 | wall ratio | CPU ratio |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range clouds {
		wr, cr := r.metric(c, "raw", wall), r.metric(c, "raw", cpu)
		for _, impl := range impls {
			ws, cs, rd := r.metric(c, impl, wall), r.metric(c, impl, cpu), r.metric(c, impl, ready)
			rds := "–"
			if rd.med > 0 {
				rds = ms(rd.med)
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cloudName[c], impl, ms(ws.med), ms(ws.p95), rds, ms(cs.med), ms(cs.p95),
				ratio(ws.med, wr.med), ratio(cs.med, cr.med))
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

	p("\n## Binary size\n\n")
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

	if len(r.Bench) > 0 {
		p("\n## Per-invocation cost\n\n")
		p("The in-process and loopback benchmarks of internal/bench (`go test -bench`; see its package\n")
		p("doc): BenchmarkLambdaV2 (runtime handler, HTTP API event), BenchmarkGCF (loopback through\n")
		p("functions-framework), BenchmarkAzurePayload (payload-mode handler). cpu-ns/op is the process's CPU\n")
		p("time per operation; median and p95 over the -count runs; the ratio is to the hand-written\n")
		p("contender of the same benchmark.\n\n")
		p("| benchmark | impl | CPU median | CPU p95 | wall median | allocs/op | CPU ratio | allocs ratio | target (issues 4, 5) |\n|---|---|---|---|---|---|---|---|---|\n")
		base := map[string]benchRow{}
		for _, b := range r.Bench {
			if b.Impl == b.Base {
				base[b.Name] = b
			}
		}
		// The per-invocation targets of the adapter issues, as CPU (and,
		// for Lambda, allocation) ratios of anyfunc to the hand-written
		// contender.
		targets := map[string]float64{"LambdaV2": 0.5, "GCF": 1.10, "AzurePayload": 0.6}
		for _, b := range r.Bench {
			c, wl := statOf(b.CPU), statOf(b.Wall)
			bc := statOf(base[b.Name].CPU).med
			target := ""
			if t, ok := targets[b.Name]; ok && b.Impl == "anyfunc" {
				target = "CPU " + verdict(c.med, bc, t)
				if b.Name == "LambdaV2" {
					target += ", allocs " + verdict(b.Allocs, base[b.Name].Allocs, t)
				}
			}
			if b.Name == "LambdaV2" && b.Impl == "apiproxy" {
				for _, a := range r.Bench {
					if a.Name == b.Name && a.Impl == "anyfunc" {
						target = fmt.Sprintf("anyfunc %.1f× faster (≥ 2.5×)", c.med/statOf(a.CPU).med)
					}
				}
			}
			p("| %s | %s | %.0f ns | %.0f ns | %.0f ns | %.0f | %s | %s | %s |\n", b.Name, b.Impl, c.med, c.p95, wl.med, b.Allocs,
				ratio(c.med, bc), ratio(b.Allocs, base[b.Name].Allocs), target)
		}
	}

	p("\n## Causes\n\n")
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

	p("\n## Method\n\n")
	p("- Machine: %s.\n", strings.Join(r.Machine, "; "))
	p("- Load average (1, 5, 15 min) at the start: %s; after the cold starts: %s. The machine is shared\n", r.LoadBefore, r.LoadAfter)
	p("  with other engineers' test runs, so wall times carry their noise: the contenders of a cloud run\n")
	p("  interleaved (their order rotates every round, so drift hits all alike), CPU time (rusage) is\n")
	p("  reported beside wall time, and ratios are only taken between samples of one run.\n")
	p("- Cold start paths (package internal/bench/coldstart): Lambda through the fake Runtime API\n")
	p("  (adapters/awslambda/lambdatest) with an HTTP API v2 event; Cloud Functions through functions-framework-go's\n")
	p("  server (the first GET answered in full; the port is polled every 0.5 ms); Azure through the host's\n")
	p("  readiness probe (GET / until answered) and then one payload-mode invocation, with the example's\n")
	p("  deploy host.json switched to payload mode. One discarded warm-up round precedes the %d measured\n", r.N)
	p("  ones, so every binary is in the page cache.\n")
	p("- Stores: moto, the Firestore emulator and cosmosdb-server on this machine (internal/emulator). The\n")
	p("  todo is written once through the store packages; every contender must answer it with the same\n")
	p("  body and ETag in every round, or the report fails.\n")
	p("- Statistics: median and p95 by nearest rank; ratio = contender median / raw median.\n")
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
