package azurecosmos

import (
	"context"
	"errors"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("fake")
}

// TestDefaultCredential checks the fallback of an Open without a key or a
// credential: ErrNoCredential while no default is set (this package does
// not link azidentity), then the default, created once, whose error is
// passed on.
func TestDefaultCredential(t *testing.T) {
	t.Cleanup(func() { SetDefaultCredential(nil) })
	open := func(endpoint string) error {
		_, err := Open(context.Background(), "c", WithEndpoint(endpoint), WithDatabase("db"))
		return err
	}
	SetDefaultCredential(nil)
	if err := open("https://127.0.0.1:1/nocred/"); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("no default credential: err = %v, want ErrNoCredential", err)
	}

	calls := 0
	SetDefaultCredential(func() (azcore.TokenCredential, error) { calls++; return fakeCredential{}, nil })
	for _, ep := range []string{"https://127.0.0.1:1/a/", "https://127.0.0.1:1/b/"} {
		if err := open(ep); err != nil {
			t.Fatalf("with a default credential: %v", err)
		}
	}
	if calls != 1 {
		t.Errorf("the default credential was made %d times, want 1", calls)
	}

	boom := errors.New("no managed identity here")
	SetDefaultCredential(func() (azcore.TokenCredential, error) { return nil, boom })
	if err := open("https://127.0.0.1:1/boom/"); !errors.Is(err, boom) || errors.Is(err, ErrNoCredential) {
		t.Errorf("failing default credential: err = %v, want it wrapped", err)
	}
	// A key needs no default credential.
	SetDefaultCredential(nil)
	if _, err := Open(context.Background(), "c", WithEndpoint("https://127.0.0.1:1/key/"), WithDatabase("db"), WithKey(EmulatorKey)); err != nil {
		t.Errorf("with a key: %v", err)
	}
}
