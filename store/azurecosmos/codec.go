package azurecosmos

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// The properties of a Cosmos DB item that this package writes. User data
// lives under dataField only, so no user field can collide with them.
const (
	idField      = "id"
	pkField      = "pk"  // the partition key; the container's partition key path is /pk
	skField      = "sk"  // the sort key, as lowercase hex of its UTF-8 bytes
	dataField    = "d"   // the user document
	expField     = "exp" // expiry, Unix milliseconds (absent: no expiry)
	ttlField     = "ttl" // Cosmos DB's per-item time to live, in seconds
	sizeField    = "sz"  // an upper bound of driver.ItemSize of the item
	bigIntPrefix = "\x00i"

	// PartitionKeyPath is the partition key path of the containers this
	// package uses; EnsureContainer creates containers with it.
	PartitionKeyPath = "/" + pkField

	maxIDLen   = 255
	maxSafeInt = 1 << 53 // integers up to this magnitude are exact as IEEE doubles
)

// doc is an item as stored in Cosmos DB.
type doc struct {
	ID   string         `json:"id"`
	PK   string         `json:"pk"`
	SK   string         `json:"sk"`
	Data map[string]any `json:"d"`
	Exp  *int64         `json:"exp,omitempty"`
	TTL  *int64         `json:"ttl,omitempty"`
	Size int            `json:"sz"`
	ETag string         `json:"_etag,omitempty"`
}

// itemID derives the Cosmos DB id from a sort key: the key itself with
// '%', '/', '\', '?', '#', '"' and control characters percent-escaped, so
// that it is reversible; "%" for the empty key, "%2E" and "%2E%2E" for "."
// and ".." (which URL paths would resolve); and, when that is longer
// than Cosmos DB's 255-character limit, "%h" and the SHA-256 of the key in
// hex. The sort key itself is kept in the sk property, so a hashed id
// loses nothing.
func itemID(sort string) string {
	switch sort {
	case "":
		return "%"
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	var b strings.Builder
	for i := 0; i < len(sort); i++ {
		c := sort[i]
		switch {
		case c == '%' || c == '/' || c == '\\' || c == '?' || c == '#' || c == '"' || c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
		if b.Len() > maxIDLen {
			break
		}
	}
	if b.Len() > maxIDLen {
		sum := sha256.Sum256([]byte(sort))
		return "%h" + hex.EncodeToString(sum[:])
	}
	return b.String()
}

// sortValue encodes a sort key for the sk property: hex keeps byte order
// under any string comparison, and a hex prefix is the hex of a prefix.
func sortValue(s string) string { return hex.EncodeToString([]byte(s)) }

// encodeDoc builds the stored form of an item; now is used for ttl.
func encodeDoc(it *store.Item, now time.Time) *doc {
	d := &doc{
		ID:   itemID(it.Key.Sort),
		PK:   it.Key.Partition,
		SK:   sortValue(it.Key.Sort),
		Data: encodeMap(it.Data),
		Size: driver.ItemSize(it.Key, it.Data),
	}
	if !it.ExpiresAt.IsZero() {
		exp := it.ExpiresAt.UnixMilli()
		d.Exp = &exp
		// Cosmos DB deletes the item ttl seconds after its last write;
		// reads filter on exp, so the item is invisible at exp exactly.
		// Cosmos DB refuses a ttl beyond an int32 (about 68 years): an
		// item that expires later is stored without one, and stays
		// until it is deleted (reads still hide it from exp on). Sub
		// saturates (at about 292 years) rather than overflowing.
		ttl := int64(math.Ceil(it.ExpiresAt.Sub(now).Seconds()))
		if ttl < 1 {
			ttl = 1
		}
		if ttl <= math.MaxInt32 {
			d.TTL = &ttl
		}
	}
	return d
}

// encodeValue maps a normalised value to its stored form. Integers beyond
// ±2^53, which Cosmos DB's IEEE doubles cannot hold exactly, become the
// string "\x00i" followed by their decimal digits; a user string that
// begins with NUL gets one more NUL in front, so the two never meet.
func encodeValue(v any) any {
	switch v := v.(type) {
	case int64:
		if v > maxSafeInt || v < -maxSafeInt {
			return bigIntPrefix + strconv.FormatInt(v, 10)
		}
		return v
	case string:
		if strings.HasPrefix(v, "\x00") {
			return "\x00" + v
		}
		return v
	case map[string]any:
		return encodeMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = encodeValue(e)
		}
		return out
	}
	return v
}

func encodeMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = encodeValue(v)
	}
	return out
}

// decodeDoc parses a stored item.
func decodeDoc(b []byte) (*doc, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw struct {
		ID   string         `json:"id"`
		PK   string         `json:"pk"`
		SK   string         `json:"sk"`
		Data map[string]any `json:"d"`
		Exp  json.Number    `json:"exp"`
		ETag string         `json:"_etag"`
	}
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("azurecosmos: stored item does not decode: %w", err)
	}
	d := &doc{ID: raw.ID, PK: raw.PK, SK: raw.SK, ETag: raw.ETag}
	data, err := decodeValue(raw.Data)
	if err != nil {
		return nil, err
	}
	d.Data, _ = data.(map[string]any)
	if d.Data == nil {
		d.Data = map[string]any{}
	}
	if raw.Exp != "" {
		exp, err := raw.Exp.Int64()
		if err != nil {
			f, ferr := raw.Exp.Float64()
			if ferr != nil {
				return nil, fmt.Errorf("azurecosmos: stored expiry %q is not a number", raw.Exp)
			}
			exp = int64(f)
		}
		d.Exp = &exp
	}
	return d, nil
}

// decodeValue reverses encodeValue on a value decoded with UseNumber.
func decodeValue(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, fmt.Errorf("azurecosmos: stored number %q does not parse: %w", v, err)
		}
		if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return int64(f), nil
		}
		return f, nil
	case string:
		switch {
		case strings.HasPrefix(v, bigIntPrefix):
			i, err := strconv.ParseInt(v[len(bigIntPrefix):], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("azurecosmos: stored integer %q does not parse: %w", v, err)
			}
			return i, nil
		case strings.HasPrefix(v, "\x00"):
			return v[1:], nil
		}
		return v, nil
	case map[string]any:
		for k, e := range v {
			de, err := decodeValue(e)
			if err != nil {
				return nil, err
			}
			v[k] = de
		}
		return v, nil
	case []any:
		for i, e := range v {
			de, err := decodeValue(e)
			if err != nil {
				return nil, err
			}
			v[i] = de
		}
		return v, nil
	}
	return v, nil
}

// item turns a stored doc into a store.Item.
func (d *doc) item() (*store.Item, error) {
	sort, err := hex.DecodeString(d.SK)
	if err != nil {
		return nil, fmt.Errorf("azurecosmos: stored sort key %q is not hex: %w", d.SK, err)
	}
	it := &store.Item{
		Key:      store.Key{Partition: d.PK, Sort: string(sort)},
		Data:     d.Data,
		Revision: revision(d.ETag, d.Exp),
	}
	if d.Exp != nil {
		it.ExpiresAt = time.UnixMilli(*d.Exp)
	}
	return it, nil
}

// revision makes the store revision of an item version: its _etag, and
// its expiry when it has one, so that a condition on the revision of an
// item that has since expired fails without a request. The "x" form never
// collides with an etag, which is a quoted string or a GUID.
func revision(etag string, exp *int64) store.Revision {
	if exp == nil {
		return store.Revision(etag)
	}
	return store.Revision("x" + strconv.FormatInt(*exp, 36) + ":" + etag)
}

// parseRevision splits a revision into the etag to send as If-Match and
// whether the version it names has expired at now.
func parseRevision(r store.Revision, now time.Time) (etag azcore.ETag, expired bool) {
	s := string(r)
	if strings.HasPrefix(s, "x") {
		if i := strings.IndexByte(s, ':'); i > 0 {
			if exp, err := strconv.ParseInt(s[1:i], 36, 64); err == nil {
				return azcore.ETag(s[i+1:]), now.UnixMilli() >= exp
			}
		}
	}
	return azcore.ETag(s), false
}

// expired reports whether the stored item has expired at now.
func (d *doc) expired(now time.Time) bool {
	return d.Exp != nil && now.UnixMilli() >= *d.Exp
}
