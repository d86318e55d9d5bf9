package azurecosmos

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/anyfunc/anyfunc/store"
)

// Scheme is the URL scheme this package registers with store.Register.
const Scheme = "cosmos"

// KeyEnv names the environment variable holding the account key that
// cosmos:// URLs use; without it they use the default credential (see
// SetDefaultCredential and package store/azurecosmos/entraid).
const KeyEnv = "AZURE_COSMOS_KEY"

func init() {
	store.Register(Scheme, store.URLOpenerFunc(openURL))
}

// openURL opens cosmos://ACCOUNT/DATABASE/CONTAINER; see the package doc.
func openURL(ctx context.Context, u *url.URL) (store.Store, error) {
	container, opts, err := urlOptions(u)
	if err != nil {
		return nil, &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "azurecosmos: " + err.Error(), Err: err}
	}
	return Open(ctx, container, opts...)
}

// urlOptions turns a cosmos:// URL into options. Its errors may be logged,
// so they never repeat the query (whose values may hold a key put there
// by mistake) or a password.
func urlOptions(u *url.URL) (container string, opts []Option, err error) {
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if u.Host == "" || len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", nil, fmt.Errorf("%s: want cosmos://ACCOUNT/DATABASE/CONTAINER", redactURL(u))
	}
	endpoint := "https://" + u.Host + ".documents.azure.com:443/"
	opts = []Option{WithDatabase(parts[0])}
	q := u.Query()
	for name, vals := range q {
		v := vals[len(vals)-1]
		switch name {
		case "endpoint":
			eu, err := url.Parse(v)
			if err != nil || eu.Scheme != "https" && eu.Scheme != "http" || eu.Host == "" {
				return "", nil, errors.New("endpoint: not an http(s) URL such as https://127.0.0.1:8081/")
			}
			endpoint = v
		case "key":
			if v != "emulator" {
				// The value is not repeated: it may be a real key.
				return "", nil, fmt.Errorf(`key: the only key a URL may name is "emulator" (the public emulator key); set %s for a real key`, KeyEnv)
			}
			opts = append(opts, WithKey(EmulatorKey))
		case "cert_file":
			pem, err := os.ReadFile(v)
			if err != nil {
				var pe *os.PathError
				if errors.As(err, &pe) {
					err = pe.Err // without the path
				}
				return "", nil, fmt.Errorf("cert_file: the file does not read: %w", err)
			}
			opts = append(opts, WithTrustedCertificate(pem))
		case "server":
			if v != "cosmosdb-server" {
				return "", nil, errors.New("server: the only value is cosmosdb-server")
			}
			opts = append(opts, WithCosmosDBServer())
		case "ensure":
			if v != "true" && v != "1" {
				return "", nil, errors.New("ensure: want true or 1")
			}
			opts = append(opts, WithEnsureContainer())
		default:
			// A name is shown only if it looks like one: a key pasted
			// without "key=" would be a parameter name.
			shown := "a parameter"
			if len(name) <= 20 && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") == "" {
				shown = fmt.Sprintf("parameter %q", name)
			}
			return "", nil, fmt.Errorf("unknown %s (known: endpoint, key, cert_file, server, ensure)", shown)
		}
	}
	if k := os.Getenv(KeyEnv); k != "" && q.Get("key") == "" {
		opts = append(opts, WithKey(k))
	}
	return parts[1], append(opts, WithEndpoint(endpoint)), nil
}

// redactURL returns u without its user information, query and fragment,
// for error messages.
func redactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}
