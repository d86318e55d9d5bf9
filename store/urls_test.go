package store_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func TestURLMux(t *testing.T) {
	ctx := context.Background()
	var m store.URLMux // the zero value works
	var opened []string
	m.Register("test", store.URLOpenerFunc(func(_ context.Context, u *url.URL) (store.Store, error) {
		opened = append(opened, u.Host)
		return memstore.New(), nil
	}))
	if _, err := m.Open(ctx, "test://one"); err != nil || len(opened) != 1 || opened[0] != "one" {
		t.Fatalf("Open(test://one) = %v; opened %v", err, opened)
	}
	if got := m.Schemes(); len(got) != 1 || got[0] != "test" {
		t.Errorf("Schemes() = %v", got)
	}
	for _, tc := range []struct{ url, want string }{
		{"dynamodb://todos", `import _ "github.com/anyfunc/anyfunc/store/awsdynamodb"`},
		{"firestore://p/todos", "github.com/anyfunc/anyfunc/store/gcpfirestore"},
		{"cosmos://a/db/todos", "github.com/anyfunc/anyfunc/store/azurecosmos"},
		{"mem://x", "github.com/anyfunc/anyfunc/store/memstore"},
		{"redis://x", `no store is registered for scheme "redis"`},
	} {
		_, err := m.Open(ctx, tc.url)
		if !errors.Is(err, store.ErrNotSupported) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v; want ErrNotSupported mentioning %s", tc.url, err, tc.want)
		}
	}
	for _, bad := range []string{"todos", "://x", "%zz://x"} {
		if _, err := m.Open(ctx, bad); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v; want ErrInvalidArgument", bad, err)
		}
	}
	for name, f := range map[string]func(){
		"twice":     func() { m.Register("test", store.URLOpenerFunc(nil)) },
		"bad name":  func() { m.Register("Bad_Scheme", store.URLOpenerFunc(nil)) },
		"nil value": func() { m.Register("other", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestOpenMem(t *testing.T) {
	ctx := context.Background()
	a, err := store.Open(ctx, "mem://urls-test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(ctx, "mem://urls-test")
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, "mem://urls-test-other")
	if err != nil {
		t.Fatal(err)
	}
	k := store.Key{Partition: "p"}
	if _, err := a.Put(ctx, &store.Item{Key: k}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, k); err != nil {
		t.Errorf("a store opened with the same name does not see the item: %v", err)
	}
	if _, err := other.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a store opened with another name sees the item: %v", err)
	}
	for _, bad := range []string{"mem://", "mem://x?ttl=1"} {
		if _, err := store.Open(ctx, bad); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v; want ErrInvalidArgument", bad, err)
		}
	}
}

func TestRegisterSchemeNames(t *testing.T) {
	for scheme, ok := range map[string]bool{
		"mem": true, "dynamodb": true, "s3+http": true, "a.b-c": true, "x9": true,
		"": false, "9x": false, "+x": false, "Mem": false, "a_b": false, "a b": false, "é": false, "a/b": false,
	} {
		func() {
			defer func() {
				if panicked := recover() != nil; panicked == ok {
					t.Errorf("Register(%q): panicked %v, want %v", scheme, panicked, !ok)
				}
			}()
			new(store.URLMux).Register(scheme, store.URLOpenerFunc(func(context.Context, *url.URL) (store.Store, error) { return nil, nil }))
		}()
	}
}

// TestOpenHidesSecrets checks that no error of Open shows a URL's password
// or query, which may hold secrets, nor wraps the *url.Error that holds
// them.
func TestOpenHidesSecrets(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ url, want string }{
		{"cosmos://us er:REALPW@acct/db/c", `"cosmos://us er:xxxxx@acct/db/c" is not a URL`},
		{"cosmos://user:REAL/PW@acct/db/c", "acct/db/c"},
		{"cosmos://user:REAL#PW@acct/db/c", "acct/db/c"},
		{"cosmos://user:REAL?PW@acct/db/c", "acct/db/c"},
		{"cosmos://user:REALPW@acct/%zz", `"cosmos://user:xxxxx@acct/%zz" is not a URL`},
		{"cosmos://ac ct/db/c?key=REALPW", `"cosmos://ac ct/db/c" is not a URL`},
		{"cosmos://ac ct/db/c#REALPW", `"cosmos://ac ct/db/c" is not a URL`},
		{"us er:REALPW@acct/db/c", `"us er:xxxxx@acct/db/c" is not a URL`},
		{"//user:REALPW@acct/db/c?key=REALPW", `"//user:xxxxx@acct/db/c" has no scheme`},
		{"mem://x?key=REALPW", `["key"]`},
	} {
		_, err := store.Open(ctx, tc.url)
		if !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v; want ErrInvalidArgument", tc.url, err)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "REAL") || !strings.Contains(msg, tc.want) {
			t.Errorf("Open(%q) = %q; want it to show %s and no secret", tc.url, msg, tc.want)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			t.Errorf("Open(%q) wraps the *url.Error %q", tc.url, ue)
		}
	}
	// A URL with nothing to hide keeps the whole reason.
	if _, err := store.Open(ctx, "cosmos://acct/%zz"); err == nil || !strings.Contains(err.Error(), `invalid URL escape "%zz"`) {
		t.Errorf("Open(cosmos://acct/%%zz) = %v; want the invalid escape named", err)
	}
}
