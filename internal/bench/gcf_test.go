package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// plainGCF is the function a Go developer writes for Cloud Functions
// without anyfunc: a func(http.ResponseWriter, *http.Request) doing the same
// JSON work.
func plainGCF(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	out, err := todoAnswer(r.Method, r.URL.Path, r.Header.Get("User-Agent"), body)
	if err != nil {
		http.Error(w, "The body is not a to-do.", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(out)
}

var (
	gcfOnce sync.Once
	gcfBase string
	gcfErr  error
)

// gcfServer starts functions-framework-go's own server once in this process,
// serving the anyfunc adapter under /anyfunc/ and the plain function under
// /plain/, and returns its base URL.
func gcfServer(b testing.TB) string {
	gcfOnce.Do(func() {
		ctx := context.Background()
		if gcfErr = funcframework.RegisterHTTPFunctionContext(ctx, "/anyfunc/", gcfHandler(anyfuncTodo).ServeHTTP); gcfErr != nil {
			return
		}
		if gcfErr = funcframework.RegisterHTTPFunctionContext(ctx, "/plain/", plainGCF); gcfErr != nil {
			return
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			gcfErr = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		go funcframework.StartHostPort("127.0.0.1", strconv.Itoa(port))
		gcfBase = "http://127.0.0.1:" + strconv.Itoa(port)
		for i := 0; i < 100; i++ {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err == nil {
				c.Close()
				return
			}
			gcfErr = err
			time.Sleep(50 * time.Millisecond)
		}
	})
	if gcfErr != nil && gcfBase == "" {
		b.Fatal(gcfErr)
	}
	return gcfBase
}

// BenchmarkGCF sends one request per iteration over loopback to
// functions-framework-go's server: anyfunc's adapter against a plain
// net/http function doing the same JSON work.
func BenchmarkGCF(b *testing.B) {
	base := gcfServer(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	body := []byte(todoBody)
	for _, name := range []string{"anyfunc", "plain"} {
		b.Run("impl="+name, func(b *testing.B) {
			url := base + "/" + name + "/todos"
			do := func() []byte {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "bench-client/1.0")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusCreated {
					b.Fatalf("%d %s %v", resp.StatusCode, out, err)
				}
				return out
			}
			checkGCF(b, do(), name)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU(b)
			for i := 0; i < b.N; i++ {
				do()
			}
			cpu.report()
		})
	}
}

func checkGCF(tb testing.TB, answer []byte, name string) {
	tb.Helper()
	var got todoOut
	if err := json.Unmarshal(answer, &got); err != nil || got.Path != "/"+name+"/todos" || got.Title != "write the benchmark" ||
		got.UserAgent != "bench-client/1.0" || got.Method != http.MethodPost || len(got.Tags) != 3 {
		tb.Fatalf("%s answered %+v (%v)", name, got, err)
	}
}

// TestGCFSameAnswer checks that the contenders of BenchmarkGCF answer the
// same request identically through functions-framework-go's server.
func TestGCFSameAnswer(t *testing.T) {
	base := gcfServer(t)
	for _, name := range []string{"anyfunc", "plain"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/"+name+"/todos", bytes.NewReader([]byte(todoBody)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "bench-client/1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %v", name, resp.StatusCode, resp.Header)
		}
		checkGCF(t, out, name)
	}
}

// BenchmarkGCFHandler measures the same two functions in-process, without
// the network and the framework's server: what the adapter itself costs.
func BenchmarkGCFHandler(b *testing.B) {
	body := []byte(todoBody)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"anyfunc", gcfHandler(anyfuncTodo)}, {"plain", http.HandlerFunc(plainGCF)}} {
		b.Run("impl="+c.name, func(b *testing.B) {
			rd := bytes.NewReader(body)
			req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/todos", rd)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "bench-client/1.0")
			req.Header.Set(gcpfunctions.ExecutionIDHeader, "exec-1")
			req.RemoteAddr = "169.254.8.129:38452" // Google's front end, as the server sees it
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			cpu := startCPU(b)
			for b.Loop() {
				rd.Reset(body)
				req.Body = io.NopCloser(rd)
				clear(w.h)
				c.h.ServeHTTP(w, req)
			}
			cpu.report()
			if w.status != http.StatusCreated {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}

// gcfHandler is gcpfunctions.NewHandler, which cannot fail for a non-nil
// handler.
func gcfHandler(h handler.Handler) http.Handler {
	hh, err := gcpfunctions.NewHandler(h)
	if err != nil {
		panic(err)
	}
	return hh
}
