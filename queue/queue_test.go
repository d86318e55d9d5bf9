package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/internal/deptest"
	"github.com/anyfunc/anyfunc/queue"
)

func TestOpenErrorsHideSecrets(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"sqs://user:secret@host/%zz?token=secret", "no-scheme?token=secret", "mem://x y\x7f?token=secret"} {
		_, err := queue.Open(ctx, u)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) = %v: the error shows a secret", u, err)
		}
		if !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v; want ErrInvalidArgument", u, err)
		}
	}
}

func TestRegisterPanics(t *testing.T) {
	var m queue.URLMux
	for _, scheme := range []string{"", "Upper", "1abc"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterQueue(%q) did not panic", scheme)
				}
			}()
			m.RegisterQueue(scheme, nil)
		}()
	}
}

// TestDependencyIsolation checks that the portable packages link no cloud
// SDK: each backend brings its own.
func TestDependencyIsolation(t *testing.T) {
	for _, pkg := range []string{"queue", "queue/driver", "queue/memqueue", "queue/queuetest"} {
		deptest.Forbid(t, pkg, 5, "github.com/aws/", "cloud.google.com/", "google.golang.org/", "github.com/Azure/", "github.com/AzureAD/")
	}
}
