package gcpfirestore

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestDocID(t *testing.T) {
	long := strings.Repeat("é/", 256) // 768 bytes, 1280 escaped
	for _, k := range []store.Key{
		{Partition: "p"},
		{Partition: "user-1", Sort: "todo/7"},
		{Partition: "__x__", Sort: "__y__"},
		{Partition: "_", Sort: "_"},
		{Partition: ".", Sort: ""},
		{Partition: "..", Sort: ".."},
		{Partition: "a:b", Sort: "c:d"},
		{Partition: "100%", Sort: "%2F"},
		{Partition: "tab\there", Sort: "new\nline\x7f"},
		{Partition: "世界 🎉", Sort: "ü"},
		{Partition: strings.Repeat("x", store.MaxPartitionLen), Sort: strings.Repeat("y", 470)},
		{Partition: long, Sort: "s"},
	} {
		id := docID(k)
		if strings.Contains(id, "/") || len(id) > maxIDLen || id == "." || id == ".." || strings.HasPrefix(id, "__") {
			t.Errorf("docID(%q) = %q: not a valid document ID", k, id)
		}
		got, ok := keyFromID(id)
		if !ok || got != k {
			t.Errorf("keyFromID(docID(%q) = %q) = %q, %v", k, id, got, ok)
		}
	}
	if got, want := docID(store.Key{Partition: "user-1", Sort: "todo/7"}), "user-1:todo%2F7"; got != want {
		t.Errorf("docID = %q, want %q", got, want)
	}
	// Keys too long to spell out get a hash, distinct for distinct keys.
	a := store.Key{Partition: strings.Repeat("x", store.MaxPartitionLen), Sort: strings.Repeat("y", store.MaxSortLen)}
	b := store.Key{Partition: a.Partition, Sort: a.Sort[1:]}
	ida, idb := docID(a), docID(b)
	if !strings.HasPrefix(ida, hashedIDPrefix) || strings.Contains(ida, ":") || ida == idb {
		t.Errorf("long keys: IDs %q and %q", ida, idb)
	}
	// Same concatenation of partition and sort key, different keys.
	c := store.Key{Partition: strings.Repeat("x", 1000), Sort: strings.Repeat("y", 1024)}
	e := store.Key{Partition: strings.Repeat("x", 1000) + "y", Sort: strings.Repeat("y", 1023)}
	if idc, ide := docID(c), docID(e); !strings.HasPrefix(idc, hashedIDPrefix) || idc == ide {
		t.Errorf("keys %q and %q: IDs %q and %q", c, e, idc, ide)
	}
	if _, ok := keyFromID(ida); ok {
		t.Errorf("keyFromID(%q) claims to reverse a hashed ID", ida)
	}
}

func TestUserNames(t *testing.T) {
	for _, name := range []string{"a", "_", "_id", "_pk", "_u", "_uid", "__", "pk", "_x__"} {
		stored := storedName(name)
		if len(stored) >= 4 && strings.HasPrefix(stored, "__") && strings.HasSuffix(stored, "__") {
			t.Errorf("storedName(%q) = %q has Firestore's reserved form", name, stored)
		}
		for _, own := range []string{fieldPartition, fieldSort, fieldExpires, fieldWriteTag} {
			if stored == own {
				t.Errorf("storedName(%q) collides with %q", name, own)
			}
		}
		if got, ok := userName(stored); !ok || got != name {
			t.Errorf("userName(storedName(%q) = %q) = %q, %v", name, stored, got, ok)
		}
	}
	for _, own := range []string{fieldPartition, fieldSort, fieldExpires, fieldWriteTag} {
		if _, ok := userName(own); ok {
			t.Errorf("userName(%q) reports a user field", own)
		}
	}
}

func TestFieldPath(t *testing.T) {
	for path, want := range map[string]string{
		"a":          "a",
		"a.b_1":      "a.b_1",
		"_id":        "_u_id",
		"1a":         "`1a`",
		"with space": "`with space`",
		"a.`b\\c":    "a.`\\`b\\\\c`",
		"ü.x":        "`ü`.x",
	} {
		if got := fieldPath(strings.Split(path, ".")); got != want {
			t.Errorf("fieldPath(%q) = %s, want %s", path, got, want)
		}
	}
}

func TestValues(t *testing.T) {
	in := map[string]any{
		"null": nil, "t": true, "s": "x", "max": int64(math.MaxInt64), "min": int64(math.MinInt64),
		"f": 0.1, "big": 1e300, "list": []any{int64(1), "a", []any{}}, "map": map[string]any{"k": []any{}},
		"nested": []any{[]any{int64(1), []any{2.5}}, map[string]any{"m": int64(9223372036854775807)}},
	}
	for k, v := range in {
		ev, err := encodeValue(v)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		got, err := decodeValue(ev)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%s: round trip gave %#v, want %#v", k, got, v)
		}
	}
}

func TestRevision(t *testing.T) {
	ut := time.Date(2026, 11, 22, 3, 4, 5, 123456000, time.UTC)
	exp := time.Date(2027, 1, 1, 0, 0, 0, 5000, time.UTC)
	for _, e := range []time.Time{{}, exp} {
		r := revision(timestampOf(ut), e)
		gotUT, gotExp, ok := parseRevision(r)
		if !ok || !gotUT.AsTime().Equal(ut) || !gotExp.Equal(e) {
			t.Errorf("parseRevision(%q) = %v, %v, %v", r, gotUT.AsTime(), gotExp, ok)
		}
	}
	for _, bad := range []store.Revision{"", "x", "-5", "12e", "12ex"} {
		if _, _, ok := parseRevision(bad); ok {
			t.Errorf("parseRevision(%q) accepted it", bad)
		}
	}
}

func timestampOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
