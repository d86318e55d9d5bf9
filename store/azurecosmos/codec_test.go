package azurecosmos

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// sortFromID reverses itemID for ids that are not hashed.
func sortFromID(id string) (string, bool) {
	switch id {
	case "%":
		return "", true
	case "%2E", "%2E%2E":
		return strings.Repeat(".", len(id)/3), true
	}
	if strings.HasPrefix(id, "%h") {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		if id[i] != '%' {
			b.WriteByte(id[i])
			continue
		}
		if i+3 > len(id) {
			return "", false
		}
		v, err := strconv.ParseUint(id[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), true
}

func TestItemID(t *testing.T) {
	long := strings.Repeat("/", 100) // 300 characters once escaped
	seen := map[string]string{}
	for _, s := range []string{"", ".", "..", "...", "%", "%2E", "%h", "a/b", `a\b`, "a?b", "a#b", `a"b`, "a\x01b", "a%2Fb", "ключ", "🙂", long, long + "x", strings.Repeat("a", 255), strings.Repeat("a", 256)} {
		id := itemID(s)
		if prev, dup := seen[id]; dup {
			t.Errorf("itemID(%q) = itemID(%q) = %q", s, prev, id)
		}
		seen[id] = s
		if len(id) > maxIDLen || id == "" || strings.ContainsAny(id, "/\\?#\"") {
			t.Errorf("itemID(%q) = %q: not a valid Cosmos DB id", s, id)
		}
		back, ok := sortFromID(id)
		switch {
		case strings.HasPrefix(id, "%h"):
			if len(s) < 85 {
				t.Errorf("itemID(%q) hashed a short key", s)
			}
		case !ok || back != s:
			t.Errorf("itemID(%q) = %q does not reverse (%q, %v)", s, id, back, ok)
		}
	}
}

func TestSQLString(t *testing.T) {
	for _, s := range []string{`a"b`, `a\b`, "a'b", "a\nb", "🙂", "ключ", "plain_1"} {
		q := sqlString(s)
		inner := q[1 : len(q)-1]
		if strings.ContainsAny(inner, "\"'\n") || strings.Count(q, `"`) != 2 {
			t.Errorf("sqlString(%q) = %s holds a metacharacter", s, q)
		}
	}
	if got := sqlString("🙂"); got != `"\ud83d\ude42"` {
		t.Errorf("sqlString of a supplementary character = %s", got)
	}
}

func TestBuildQuery(t *testing.T) {
	sql, params := buildQuery(&driver.Query{
		Partition: `p" OR 1=1`, Sort: store.SortBetweenKeys("a", "b"), Descending: true, Limit: 5,
		Filters: []store.Filter{{Path: []string{`x"]`, "y"}, Value: "v"}}, After: "az", HasAfter: true, Now: time.UnixMilli(42),
	})
	want := `SELECT * FROM c WHERE c.pk = @p0 AND c.sk >= @p1 AND c.sk <= @p2 AND c.sk < @p3 AND (NOT IS_DEFINED(c.exp) OR c.exp > @p4) AND c["d"]["x\u0022\u005d"]["y"] = @p5 ORDER BY c.sk DESC`
	if sql != want {
		t.Errorf("SQL\n got %s\nwant %s", sql, want)
	}
	if len(params) != 6 || params[0].Value != `p" OR 1=1` || params[1].Value != "61" || params[3].Value != "617a" || params[4].Value != int64(42) {
		t.Errorf("parameters %+v", params)
	}
}

func TestRevision(t *testing.T) {
	exp := time.Now().Add(time.Hour).UnixMilli()
	for _, tc := range []struct {
		etag string
		exp  *int64
	}{{`"0000-1"`, nil}, {"guid-like", &exp}} {
		r := revision(tc.etag, tc.exp)
		etag, expired := parseRevision(r, time.Now())
		if string(etag) != tc.etag || expired {
			t.Errorf("revision %q parses to %q, %v", r, etag, expired)
		}
		if tc.exp != nil {
			if _, expired := parseRevision(r, time.UnixMilli(exp)); !expired {
				t.Errorf("revision %q not expired at its expiry", r)
			}
		}
	}
}

func TestURLOptions(t *testing.T) {
	t.Setenv(KeyEnv, "")
	for _, bad := range []string{
		"cosmos://acct/db", "cosmos://acct/db/c/extra", "cosmos:///db/c", "cosmos://acct/db/c?endpoint=ftp://x",
		"cosmos://acct/db/c?key=secret", "cosmos://acct/db/c?ensure=yes", "cosmos://acct/db/c?bogus=1",
		"cosmos://acct/db/c?cert_file=/does/not/exist",
	} {
		u, _ := url.Parse(bad)
		if _, _, err := urlOptions(u); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	u, _ := url.Parse("cosmos://acct/db/todos?endpoint=https://127.0.0.1:8081/&key=emulator&ensure=true")
	container, opts, err := urlOptions(u)
	if err != nil {
		t.Fatal(err)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.endpoint != "https://127.0.0.1:8081/" || o.database != "db" || container != "todos" || o.key != EmulatorKey || !o.ensure {
		t.Errorf("options %+v", o)
	}
	u, _ = url.Parse("cosmos://acct/db/todos")
	_, opts, _ = urlOptions(u)
	o = options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.endpoint != "https://acct.documents.azure.com:443/" || o.key != "" {
		t.Errorf("default endpoint %q, key %q", o.endpoint, o.key)
	}
}

// TestEncodeDocTTL checks the per-item ttl: seconds until the expiry,
// at least 1, and left out beyond an int32 (about 68 years), which Cosmos
// DB refuses; exp is kept in every case.
func TestEncodeDocTTL(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		exp time.Time
		ttl int64 // 0: none
	}{
		{now.Add(90 * time.Second), 90},
		{now.Add(1500 * time.Millisecond), 2},
		{now.Add(-time.Hour), 1},
		{now.Add(math.MaxInt32 * time.Second), math.MaxInt32},
		{now.Add((math.MaxInt32 + 1) * time.Second), 0},
		{now.AddDate(100, 0, 0), 0},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), 0},
	} {
		d := encodeDoc(&store.Item{Key: store.Key{Partition: "p"}, ExpiresAt: tc.exp}, now)
		if d.Exp == nil || *d.Exp != tc.exp.UnixMilli() {
			t.Errorf("expiry %v: exp %v", tc.exp, d.Exp)
		}
		switch {
		case tc.ttl == 0 && d.TTL != nil:
			t.Errorf("expiry %v: ttl %d; want none (beyond an int32)", tc.exp, *d.TTL)
		case tc.ttl != 0 && (d.TTL == nil || *d.TTL != tc.ttl):
			t.Errorf("expiry %v: ttl %v; want %d", tc.exp, d.TTL, tc.ttl)
		}
	}
}
