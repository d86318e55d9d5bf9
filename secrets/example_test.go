package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/secrets"
)

func ExampleCache() {
	reads := 0
	g := secrets.GetterFunc(func(ctx context.Context, name string) (secrets.Value, error) {
		reads++
		if name != "db-password" {
			return secrets.Value{}, &secrets.Error{Kind: secrets.ErrNotFound, Op: "get", Name: name, Msg: fmt.Sprintf("example: secret %q: not found", name)}
		}
		return secrets.NewValue("hunter2"), nil
	})
	c := secrets.NewCache(g)
	ctx := context.Background()
	for range 3 {
		v, _ := c.Get(ctx, "db-password")
		fmt.Println(v, len(v.Reveal()))
	}
	_, err := c.Get(ctx, "api-key")
	fmt.Println(errors.Is(err, secrets.ErrNotFound), err)
	fmt.Println("reads:", reads)
	// Output:
	// [REDACTED] 7
	// [REDACTED] 7
	// [REDACTED] 7
	// true example: secret "api-key": not found
	// reads: 2
}

func ExampleValue() {
	v := secrets.NewValue("hunter2")
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	log.Info("connecting", "password", v)
	fmt.Printf("%v %s %q %#v\n", v, v, v, v)
	// Output:
	// level=INFO msg=connecting password=[REDACTED]
	// [REDACTED] [REDACTED] [REDACTED] [REDACTED]
}
