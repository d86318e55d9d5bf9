// Package rawtodo holds what the hand-written ("raw") to-do functions of
// internal/bench/cmd share: the todo as stored and answered, the API key
// check and the ETag. It uses the standard library only, as a developer
// writing GET /todos/{id} by hand for one cloud would.
//
// The raw functions answer GET /todos/{id} as the to-do example does
// (examples/todo): 200 with the todo as JSON and its ETag, 404 problem for
// a missing todo, 401 without a valid X-Api-Key. They read the items the
// example writes, in each store backend's documented layout.
package rawtodo

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
)

// Todo is a to-do item: the fields the example stores (as its JSON) and
// answers. Timestamps are kept as the RFC 3339 strings stored, so the
// answer is byte for byte the example's.
type Todo struct {
	ID        string  `json:"id" firestore:"id" dynamodbav:"id"`
	Title     string  `json:"title" firestore:"title" dynamodbav:"title"`
	Due       *string `json:"due" firestore:"due" dynamodbav:"due"`
	Done      bool    `json:"done" firestore:"done" dynamodbav:"done"`
	CreatedAt string  `json:"createdAt" firestore:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt string  `json:"updatedAt" firestore:"updatedAt" dynamodbav:"updatedAt"`
}

// Keys checks X-Api-Key values against one "name:key" pair, as the
// example's TODO_API_KEYS does.
type Keys struct {
	name string
	key  []byte
}

// KeysFromEnv reads the first "name:key" pair of TODO_API_KEYS.
func KeysFromEnv() (Keys, error) {
	first, _, _ := strings.Cut(os.Getenv("TODO_API_KEYS"), ",")
	name, key, ok := strings.Cut(strings.TrimSpace(first), ":")
	if !ok || name == "" || len(key) < 16 {
		return Keys{}, errors.New("TODO_API_KEYS: want name:key with a key of at least 16 bytes")
	}
	return Keys{name: name, key: []byte(key)}, nil
}

// Partition returns the partition of the caller holding key ("user/apikey:" and
// the key's name), or false.
func (k Keys) Partition(key string) (string, bool) {
	if subtle.ConstantTimeCompare([]byte(key), k.key) != 1 {
		return "", false
	}
	return "user/apikey:" + k.name, true
}

// ID returns the todo ID of a /todos/{id} path, or false.
func ID(path string) (string, bool) {
	id, ok := strings.CutPrefix(path, "/todos/")
	if !ok || len(id) != 26 || strings.ContainsAny(id, "/%") {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			return "", false
		}
	}
	return id, true
}

// ETag is the example's entity tag of a store revision.
func ETag(rev string) string {
	return `"` + base64.RawURLEncoding.EncodeToString([]byte(rev)) + `"`
}

// Answer is an HTTP answer: status, headers and body.
type Answer struct {
	Status int
	Header map[string]string
	Body   string
}

// OK answers t as JSON with the ETag of rev.
func OK(t *Todo, rev string) Answer {
	b, err := json.Marshal(t)
	if err != nil { // a Todo of strings and a bool always encodes
		return Problem(http.StatusInternalServerError, "internal", "Internal error.")
	}
	return Answer{Status: http.StatusOK, Header: map[string]string{"Content-Type": "application/json", "ETag": ETag(rev)}, Body: string(b)}
}

// Problem answers an RFC 9457 problem.
func Problem(status int, code, detail string) Answer {
	b, _ := json.Marshal(map[string]any{"status": status, "title": http.StatusText(status), "code": code, "detail": detail})
	return Answer{Status: status, Header: map[string]string{"Content-Type": "application/problem+json"}, Body: string(b)}
}

// Unauthorized, NotFound and Unavailable are the error answers.
var (
	Unauthorized = Problem(http.StatusUnauthorized, "unauthenticated", "Authentication is required.")
	NotFound     = Problem(http.StatusNotFound, "not_found", "The todo does not exist.")
	Unavailable  = Problem(http.StatusServiceUnavailable, "unavailable", "The store is unavailable.")
)

// Write writes a to w.
func (a Answer) Write(w http.ResponseWriter) {
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.Status)
	w.Write([]byte(a.Body))
}
