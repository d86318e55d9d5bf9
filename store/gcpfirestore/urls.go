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

// openURL opens firestore://PROJECT/COLLECTION[?database=DB] with the
// shared client of that project and database.
func openURL(ctx context.Context, u *url.URL) (store.Store, error) {
	opts := []Option{WithProject(u.Host), WithCollection(strings.TrimPrefix(u.Path, "/"))}
	for k, v := range u.Query() {
		switch {
		case k == "database" && len(v) == 1 && v[0] != "":
			opts = append(opts, WithDatabase(v[0]))
		default:
			return nil, &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "gcpfirestore: unknown or repeated URL parameter " + k + " (only database is known)"}
		}
	}
	if u.Host == "" {
		return nil, &store.Error{Kind: store.ErrInvalidArgument, Op: "open", Msg: "gcpfirestore: the URL names no project (firestore://PROJECT/COLLECTION)"}
	}
	return Open(ctx, opts...)
}
