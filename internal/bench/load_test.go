package bench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// loadServerEnv names the contender a child process serves for
// BenchmarkHTTPLoad.
const loadServerEnv = "BENCH_LOAD_SERVER"

// TestLoadServer is the server process of BenchmarkHTTPLoad: with
// BENCH_LOAD_SERVER set to a contender of httpHandlers, it serves it on a
// free loopback port, prints the address, answers GET /__cpu with its own
// CPU time (user + system, ns) and exits when its stdin closes. Without the
// variable it skips.
func TestLoadServer(t *testing.T) {
	impl := os.Getenv(loadServerEnv)
	if impl == "" {
		t.Skip("the server process of BenchmarkHTTPLoad; runs only under it")
	}
	h, ok := httpHandlers()[impl]
	if !ok {
		t.Fatalf("no contender %q", impl)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__cpu" {
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			fmt.Fprint(w, ru.Utime.Nano()+ru.Stime.Nano())
			return
		}
		h.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	fmt.Println(ln.Addr().String())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// BenchmarkHTTPLoad serves httpTarget under keep-alive load: each contender
// of BenchmarkHTTPRouter runs in its own server process (this test binary,
// as TestLoadServer) and this process sends b.N requests over persistent
// connections from several goroutines. server-cpu-ns/op is the server
// process's CPU time (getrusage, as it reports it) per request: what a
// request costs the server, the client's work excluded.
func BenchmarkHTTPLoad(b *testing.B) {
	for _, name := range []string{"anyfunc", "servemux", "chi"} {
		b.Run("impl="+name, func(b *testing.B) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLoadServer$")
			cmd.Env = append(os.Environ(), loadServerEnv+"="+name)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				b.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() {
				stdin.Close()
				cmd.Wait()
			}()
			addr, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				b.Fatalf("server did not start: %v", err)
			}
			base := "http://" + strings.TrimSpace(addr)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}}
			get := func(path string) []byte {
				resp, err := client.Get(base + path)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
				}
				return body
			}
			serverCPU := func() int64 {
				n, err := strconv.ParseInt(string(get("/__cpu")), 10, 64)
				if err != nil {
					b.Fatal(err)
				}
				return n
			}
			for range 200 { // warm the connections and the server
				get(httpTarget)
			}
			before := serverCPU()
			b.SetParallelism(2)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(base + httpTarget)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(serverCPU()-before)/float64(b.N), "server-cpu-ns/op")
		})
	}
}
