package gcpfirestore

import (
	"context"
	"net/url"
	"strings"

	"github.com/anyfunc/anyfunc/store"
)

// Scheme is the URL scheme this package registers with store.Register.
const Scheme = "firestore"

func init() { store.Register(Scheme, store.URLOpenerFunc(openURL)) }

// openURL opens firestore://PROJECT/COLLECTION[?database=DB][&ensure=1]
// with the shared client of that project and database. ensure=1 (or true,
// asked for by the example's TODO_ENSURE_SCHEMA=1) is accepted for the
// same URLs on every backend, and needs no work here: a Firestore
// collection exists once it holds a document, the emulator needs no
// indexes, and a real database's composite indexes and TTL policy are
// deployed from firestore.indexes.json, not created by a client.
func openURL(ctx context.Context, u *url.URL) (store.Store, error) {
	opts := []Option{WithProject(u.Host)}
	for k, v := range u.Query() {
		switch {
		case k == "database" && len(v) == 1 && v[0] != "":
			opts = append(opts, WithDatabase(v[0]))
		case k == "ensure" && len(v) == 1 && (v[0] == "1" || v[0] == "true"):
		default:
			return nil, configError("unknown or repeated URL parameter %s (known: database, ensure=1)", k)
		}
	}
	if u.Host == "" {
		return nil, configError("the URL names no project (firestore://PROJECT/COLLECTION)")
	}
	return Open(ctx, strings.TrimPrefix(u.Path, "/"), opts...)
}
