package secrets_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anyfunc/anyfunc/secrets"
)

func TestCacheSharesOneRead(t *testing.T) {
	var reads atomic.Int64
	release := make(chan struct{})
	c := secrets.NewCache(secrets.GetterFunc(func(ctx context.Context, name string) (secrets.Value, error) {
		reads.Add(1)
		<-release
		return secrets.NewValue("v-" + name), nil
	}))
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Go(func() {
			v, err := c.Get(context.Background(), "a")
			if err != nil {
				t.Error(err)
			}
			got[i] = v.Reveal()
		})
	}
	close(release)
	wg.Wait()
	for _, g := range got {
		if g != "v-a" {
			t.Fatalf("got %q", g)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("%d reads for 16 concurrent Gets, want 1", n)
	}
}

func TestCacheForgetsFailures(t *testing.T) {
	fail := true
	c := secrets.NewCache(secrets.GetterFunc(func(ctx context.Context, name string) (secrets.Value, error) {
		if fail {
			return secrets.Value{}, &secrets.Error{Kind: secrets.ErrUnavailable, Op: "get", Name: name, Msg: "down"}
		}
		return secrets.NewValue("ok"), nil
	}))
	if _, err := c.Get(context.Background(), "a"); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("first Get: %v", err)
	}
	fail = false
	if v, err := c.Get(context.Background(), "a"); err != nil || v.Reveal() != "ok" {
		t.Fatalf("second Get: %q, %v", v.Reveal(), err)
	}
	if _, err := c.Get(context.Background(), ""); !errors.Is(err, secrets.ErrInvalidArgument) {
		t.Errorf("empty name: %v", err)
	}
}

func TestCacheWaiterHonoursContext(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	c := secrets.NewCache(secrets.GetterFunc(func(ctx context.Context, name string) (secrets.Value, error) {
		close(started)
		<-release
		return secrets.NewValue("x"), nil
	}))
	go c.Get(context.Background(), "a")
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, "a"); !errors.Is(err, secrets.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("waiting Get with a cancelled context: %v", err)
	}
	close(release)
}

func TestFieldErrorsNameNoValue(t *testing.T) {
	v := secrets.NewValue(`{"a":"x","n":1}`)
	if f, err := v.Field("a"); err != nil || f.Reveal() != "x" {
		t.Errorf("Field(a) = %q, %v", f.Reveal(), err)
	}
	if _, err := v.Field("b"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Field(b): %v", err)
	}
	if _, err := v.Field("n"); !errors.Is(err, secrets.ErrInvalidArgument) {
		t.Errorf("Field(n): %v", err)
	}
}
