// Package todo is the to-do API of anyfunc's example: one handler, written
// against packages handler, handler/middleware and store only (nothing
// cloud-specific), that runs unchanged on
// AWS Lambda, Google Cloud Functions, Azure Functions or a plain HTTP server,
// on DynamoDB, Firestore, Cosmos DB or the in-memory store.
//
// # API
//
//	GET    /healthz       {"status":"ok","statsRepairedAt"?}
//	GET    /stats         {"open","done","completedToday"} (with WithWorker)
//	POST   /todos         {"title","due"?} -> 201, Location, ETag
//	GET    /todos         ?limit=&cursor=&done= -> {"items":[...],"next":cursor|null}
//	GET    /todos/{id}    200 + ETag; 404 when missing or another user's
//	PATCH  /todos/{id}    {"title"?,"done"?}, optional If-Match (stale -> 412)
//	DELETE /todos/{id}    204; 404 when missing
//
// Paths are the handler's own; the client's carry the deployment's base path
// in front (API Gateway's stage, Azure's route prefix: Request.BasePath),
// and so does the Location of a created todo, "/prod/todos/{id}" behind
// the stage "prod".
//
// Todos are partitioned by user: the partition key is the caller's
// verified identity, "user/" + Identity.Source + ":" + Identity.Subject (so
// an API key named "alice" and a token whose subject is "alice" are
// different users), and one user can never see another's todos. A request
// without an identity is answered 401.
//
// # Retries
//
// POST, PATCH and DELETE take an Idempotency-Key header (see
// middleware.Idempotency): a client may retry a request with the same key
// after a timeout or a 5xx, and its effect happens once. The handler
// commits its write and the key's record, with the response to replay, in
// one atomic write in the caller's partition (middleware.CommitIdempotent),
// so the todo and the record cannot disagree whatever fails. That
// response is recorded before the store assigns the todo's new revision:
// it carries no ETag (GET the todo for one); without a key the answer has
// one. The records' sort keys begin with "idempotency/" and todo IDs with
// a digit below 8, so the list never shows them.
package todo

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/store"
)

// Limits of the API.
const (
	// MaxBodyBytes is the largest request body: 64 KB.
	MaxBodyBytes = 64 << 10
	// MaxTitleLen is the longest title, in characters.
	MaxTitleLen = 200
	// DefaultPageSize and MaxPageSize bound GET /todos?limit=.
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Todo is one to-do item as the API shows it.
type Todo struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Due       *string   `json:"due"`
	Done      bool      `json:"done"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// List is the answer of GET /todos.
type List struct {
	Items []Todo  `json:"items"`
	Next  *string `json:"next"`
}

// Option configures New.
type Option func(*api)

// WithClock sets the clock used for timestamps and IDs (tests).
func WithClock(now func() time.Time) Option {
	return func(a *api) { a.now = now; a.ids.now = now }
}

type api struct {
	store  store.Store
	todos  *store.Collection[Todo]
	now    func() time.Time
	ids    idGen
	events *queue.Queue // WithEvents
	worker *Worker      // WithWorker
}

// New returns the to-do API over s.
func New(s store.Store, opts ...Option) handler.Handler {
	a := &api{store: s, todos: store.NewCollection[Todo](s), now: time.Now}
	for _, o := range opts {
		o(a)
	}
	body := []handler.JSONOption{handler.WithMaxBytes(MaxBodyBytes), handler.WithDisallowUnknownFields()}
	r := handler.NewRouter()
	// GET answers carry an ETag (the todo's revision, or a hash of the
	// body); a request whose If-None-Match names it gets 304 Not Modified.
	r.Use(middleware.ConditionalGET())
	r.Handle("GET /healthz", handler.JSONOut(a.healthz))
	if a.worker != nil {
		r.Handle("GET /stats", handler.JSONOut(a.stats))
	}
	r.Handle("POST /todos", handler.JSONWithRequest(a.create, body...))
	r.Handle("GET /todos", handler.JSONOut(a.list))
	r.Handle("GET /todos/{id}", handler.JSONOut(a.get))
	r.Handle("PATCH /todos/{id}", handler.JSONWithRequest(a.patch, body...))
	r.Handle("DELETE /todos/{id}", handler.JSONOut(a.delete))
	return r
}

// user returns the caller's partition, or a 401.
func user(r *handler.Request) (string, error) {
	if r.Identity == nil || r.Identity.Subject == "" {
		return "", &handler.Error{Status: http.StatusUnauthorized, Code: "unauthenticated",
			Message: "Authentication is required.", Header: http.Header{"Www-Authenticate": {"Bearer"}}}
	}
	// The source is part of the partition: an API key named "alice" and a
	// token whose subject is "alice" are different callers.
	return "user/" + r.Identity.Source + ":" + r.Identity.Subject, nil
}

// key returns the key of the todo named in the path, or a 404 for an ID
// that cannot exist.
func key(r *handler.Request) (store.Key, error) {
	u, err := user(r)
	if err != nil {
		return store.Key{}, err
	}
	id := r.PathValue("id")
	if !validID(id) {
		return store.Key{}, notFound()
	}
	return store.Key{Partition: u, Sort: id}, nil
}

func notFound() error {
	return handler.NewError(http.StatusNotFound, "not_found", "The todo does not exist.")
}

type createInput struct {
	Title *string `json:"title"`
	Due   *string `json:"due"`
}

func (a *api) create(ctx context.Context, r *handler.Request, in createInput) (handler.Reply[Todo], error) {
	u, err := user(r)
	if err != nil {
		return handler.Reply[Todo]{}, err
	}
	var fields []handler.FieldError
	fields = checkTitle(in.Title, true, fields)
	fields = checkDue(in.Due, fields)
	if len(fields) > 0 {
		return handler.Reply[Todo]{}, invalid(fields)
	}
	now := a.now().UTC()
	t := Todo{ID: a.ids.next(), Title: *in.Title, Due: in.Due, CreatedAt: now, UpdatedAt: now}
	w, err := a.todos.PutOp(store.Entry[Todo]{Key: store.Key{Partition: u, Sort: t.ID}, Value: t}, store.IfNotExists())
	if err != nil {
		return handler.Reply[Todo]{}, err
	}
	rp, err := commit(ctx, a.store, w, func(rev store.Revision) handler.Reply[Todo] {
		rp := withETag(t, rev)
		rp.Status = http.StatusCreated
		// The client's path to the todo: behind a stage, a base path
		// mapping or a route prefix, the platform or the adapter cut
		// r.BasePath from r.Path.
		rp.Header.Set("Location", r.BasePath+"/todos/"+t.ID)
		return rp
	})
	if err == nil {
		a.publish(ctx, Event{Op: "create", User: u, ID: t.ID})
	}
	return rp, err
}

// commit applies w and answers with answer(the new revision). For a
// request with an Idempotency-Key, w and the key's record, carrying the
// answer, are committed together (middleware.CommitIdempotent), and the
// answer, made before the write, has no revision: answer gets "".
func commit[T any](ctx context.Context, s store.Store, w store.Write, answer func(store.Revision) handler.Reply[T]) (handler.Reply[T], error) {
	if middleware.Idempotent(ctx) {
		rp := answer("")
		resp, err := rp.Response()
		if err != nil {
			return handler.Reply[T]{}, err
		}
		if err := middleware.CommitIdempotent(ctx, s, []store.Write{w}, resp); err != nil {
			return handler.Reply[T]{}, err
		}
		return rp, nil
	}
	var rev store.Revision
	var err error
	switch w.Kind {
	case store.WritePut:
		rev, err = s.Put(ctx, w.Item, w.Condition)
	case store.WriteDelete:
		err = s.Delete(ctx, w.Key, w.Condition)
	default:
		panic("todo: commit of a write that is neither a put nor a delete")
	}
	if err != nil {
		return handler.Reply[T]{}, err
	}
	return answer(rev), nil
}

func (a *api) list(ctx context.Context, r *handler.Request) (List, error) {
	u, err := user(r)
	if err != nil {
		return List{}, err
	}
	qv := r.Query()
	// Todo IDs begin with a digit from 0 to 7; idempotency records share
	// the partition under sort keys beginning with a letter.
	q := store.Query{Partition: u, Sort: store.SortLess("8"), Limit: DefaultPageSize, Cursor: qv.Get("cursor")}
	if s := qv.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			return List{}, handler.NewError(http.StatusBadRequest, "invalid_parameter",
				"The limit parameter must be an integer from 1 to "+strconv.Itoa(MaxPageSize)+".")
		}
		q.Limit = n
	}
	if s := qv.Get("done"); s != "" {
		done, err := strconv.ParseBool(s)
		if err != nil {
			return List{}, handler.NewError(http.StatusBadRequest, "invalid_parameter", "The done parameter must be true or false.")
		}
		q.Filters = []store.Filter{store.Equal("done", done)}
	}
	// A bad cursor is store.ErrInvalidCursor, which handler answers 400
	// invalid_cursor saying what is wrong with it.
	entries, next, err := a.todos.Query(ctx, q)
	if err != nil {
		return List{}, err
	}
	out := List{Items: make([]Todo, len(entries))}
	for i, e := range entries {
		out.Items[i] = e.Value
	}
	if next != "" {
		out.Next = &next
	}
	return out, nil
}

func (a *api) get(ctx context.Context, r *handler.Request) (handler.Reply[Todo], error) {
	k, err := key(r)
	if err != nil {
		return handler.Reply[Todo]{}, err
	}
	e, err := a.todos.Get(ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return handler.Reply[Todo]{}, notFound()
	}
	if err != nil {
		return handler.Reply[Todo]{}, err
	}
	return withETag(e.Value, e.Revision), nil
}

type patchInput struct {
	Title *string `json:"title"`
	Done  *bool   `json:"done"`
}

func (a *api) patch(ctx context.Context, r *handler.Request, in patchInput) (handler.Reply[Todo], error) {
	k, err := key(r)
	if err != nil {
		return handler.Reply[Todo]{}, err
	}
	if in.Title == nil && in.Done == nil {
		return handler.Reply[Todo]{}, invalid([]handler.FieldError{{Pointer: "", Detail: "Give at least one of title and done."}})
	}
	if fields := checkTitle(in.Title, false, nil); len(fields) > 0 {
		return handler.Reply[Todo]{}, invalid(fields)
	}
	// Without If-Match (or with "If-Match: *", which asks only that the
	// todo exist) the client asked for no particular version: a write that
	// loses a race with another one is applied again to the new version.
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	conditional := im != "" && im != "*"
	for attempt := 1; ; attempt++ {
		e, err := a.current(ctx, r, k)
		if err != nil {
			return handler.Reply[Todo]{}, err
		}
		t := e.Value
		wasDone := t.Done
		if in.Title != nil {
			t.Title = *in.Title
		}
		if in.Done != nil {
			t.Done = *in.Done
		}
		t.UpdatedAt = a.now().UTC()
		w, err := a.todos.PutOp(store.Entry[Todo]{Key: k, Value: t}, store.IfRevision(e.Revision))
		if err != nil {
			return handler.Reply[Todo]{}, err
		}
		rp, err := commit(ctx, a.store, w, func(rev store.Revision) handler.Reply[Todo] {
			return withETag(t, rev)
		})
		if errors.Is(err, store.ErrRevisionMismatch) {
			if conditional {
				return handler.Reply[Todo]{}, stale()
			}
			if attempt < maxPatchAttempts {
				continue
			}
			// The client set no precondition: this is contention, not
			// a stale ETag.
			return handler.Reply[Todo]{}, busy()
		}
		if err != nil {
			return handler.Reply[Todo]{}, err
		}
		switch {
		case t.Done && !wasDone:
			a.publish(ctx, Event{Op: "complete", User: k.Partition, ID: t.ID})
		case !t.Done && wasDone:
			a.publish(ctx, Event{Op: "reopen", User: k.Partition, ID: t.ID})
		}
		return rp, nil
	}
}

// maxPatchAttempts bounds the read-modify-write rounds of a PATCH without
// If-Match under contention.
const maxPatchAttempts = 5

func (a *api) delete(ctx context.Context, r *handler.Request) (handler.Reply[struct{}], error) {
	k, err := key(r)
	if err != nil {
		return handler.Reply[struct{}]{}, err
	}
	cond := store.IfExists()
	wasDone := false
	if r.Header.Get("If-Match") != "" || a.events != nil {
		// The event says whether the deleted todo was done: read it, and
		// delete that version.
		e, err := a.current(ctx, r, k)
		if err != nil {
			return handler.Reply[struct{}]{}, err
		}
		cond, wasDone = store.IfRevision(e.Revision), e.Value.Done
	}
	rp, err := commit(ctx, a.store, store.DeleteOp(k, cond), func(store.Revision) handler.Reply[struct{}] {
		return handler.Reply[struct{}]{Status: http.StatusNoContent}
	})
	switch {
	case errors.Is(err, store.ErrRevisionMismatch) && cond.Kind() == store.CondExists:
		return handler.Reply[struct{}]{}, notFound()
	case errors.Is(err, store.ErrRevisionMismatch):
		return handler.Reply[struct{}]{}, stale()
	case errors.Is(err, store.ErrRevisionMismatch) && r.Header.Get("If-Match") == "":
		// Changed or deleted between the read and the delete.
		return handler.Reply[struct{}]{}, busy()
	case err != nil:
		return handler.Reply[struct{}]{}, err
	}
	a.publish(ctx, Event{Op: "delete", User: k.Partition, ID: k.Sort, Done: wasDone})
	return rp, nil
}

// healthz answers {"status":"ok"}, with the last stats repair when the API
// has a worker ("never" before the first).
func (a *api) healthz(ctx context.Context, _ *handler.Request) (map[string]string, error) {
	out := map[string]string{"status": "ok"}
	if a.worker != nil {
		t, ok, err := a.worker.LastRepair(ctx)
		switch {
		case err != nil:
			return nil, err
		case ok:
			out["statsRepairedAt"] = t.Format(time.RFC3339)
		default:
			out["statsRepairedAt"] = "never"
		}
	}
	return out, nil
}

// stats answers the caller's stats.
func (a *api) stats(ctx context.Context, r *handler.Request) (Stats, error) {
	u, err := user(r)
	if err != nil {
		return Stats{}, err
	}
	return a.worker.Stats(ctx, u)
}

// current reads the todo at k and checks the request's If-Match against it.
func (a *api) current(ctx context.Context, r *handler.Request, k store.Key) (*store.Entry[Todo], error) {
	e, err := a.todos.Get(ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	if im := r.Header.Get("If-Match"); im != "" && !matchETag(im, e.Revision) {
		return nil, stale()
	}
	return e, nil
}

// busy is the answer to an unconditional PATCH that lost every round to
// concurrent writers.
func busy() error {
	return &handler.Error{Status: http.StatusConflict, Code: "conflict",
		Message: "The todo is being changed by other requests; retry.", Header: http.Header{"Retry-After": {"1"}}}
}

func stale() error {
	return handler.NewError(http.StatusPreconditionFailed, "precondition_failed",
		"The todo was changed since the ETag given in If-Match.")
}

func invalid(fields []handler.FieldError) error {
	return &handler.Error{Status: http.StatusBadRequest, Code: "invalid_field",
		Message: "The request has invalid fields.", Fields: fields}
}

func checkTitle(title *string, required bool, fields []handler.FieldError) []handler.FieldError {
	switch {
	case title == nil && required:
		return append(fields, handler.FieldError{Pointer: "/title", Detail: "title is required."})
	case title == nil:
		return fields
	}
	n := utf8.RuneCountInString(*title)
	if strings.TrimSpace(*title) == "" || n > MaxTitleLen || !utf8.ValidString(*title) {
		return append(fields, handler.FieldError{Pointer: "/title",
			Detail: "title must have 1 to " + strconv.Itoa(MaxTitleLen) + " characters."})
	}
	return fields
}

func checkDue(due *string, fields []handler.FieldError) []handler.FieldError {
	if due == nil {
		return fields
	}
	if _, err := time.Parse(time.DateOnly, *due); err == nil {
		return fields
	}
	if _, err := time.Parse(time.RFC3339, *due); err == nil {
		return fields
	}
	return append(fields, handler.FieldError{Pointer: "/due",
		Detail: "due must be a date (2006-01-02) or an RFC 3339 time."})
}

// matchETag reports whether an If-Match value names rev ("*" matches any).
func matchETag(ifMatch string, rev store.Revision) bool {
	want := middleware.RevisionETag(rev)
	for _, t := range strings.Split(ifMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == want {
			return true
		}
	}
	return false
}

// withETag answers t with the ETag of rev, if not "".
func withETag(t Todo, rev store.Revision) handler.Reply[Todo] {
	rp := handler.Reply[Todo]{Body: t, Header: http.Header{}}
	if rev != "" {
		rp.Header.Set("ETag", middleware.RevisionETag(rev))
	}
	return rp
}
