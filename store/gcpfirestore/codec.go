package gcpfirestore

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	pb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The bookkeeping fields of a document. User fields whose names begin with
// "_" are stored with userEscape in front, so no user field can collide
// with these.
const (
	fieldPartition = "_pk"
	fieldSort      = "_sk"
	fieldExpires   = "_expires"
	fieldWriteTag  = "_w"
	userEscape     = "_u"
)

// maxIDLen is Firestore's limit on a document ID, in bytes.
const maxIDLen = 1500

// hashedIDPrefix starts the ID of a key too long to spell out. Spelled-out
// IDs always contain ':', hashed ones never do.
const hashedIDPrefix = "sha256-"

// docID returns the document ID of key: the escaped partition and sort key
// joined by ':', or, when that would exceed 1500 bytes, "sha256-" and the
// unpadded base64url SHA-256 of partition, NUL, sort key.
func docID(k store.Key) string {
	var b strings.Builder
	escapeKeyPart(&b, k.Partition, true)
	b.WriteByte(':')
	escapeKeyPart(&b, k.Sort, false)
	if b.Len() <= maxIDLen {
		return b.String()
	}
	sum := sha256.Sum256([]byte(k.Partition + "\x00" + k.Sort))
	return hashedIDPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// escapeKeyPart writes s with '%', '/', ':', control characters (and a
// leading '_' of the partition, so that no ID has the reserved form
// __name__) percent-encoded.
func escapeKeyPart(b *strings.Builder, s string, first bool) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == '/' || c == ':' || c < 0x20 || c == 0x7f || (first && i == 0 && c == '_') {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}

// keyFromID reverses docID for a spelled-out ID; it reports false for a
// hashed or foreign ID.
func keyFromID(id string) (store.Key, bool) {
	i := strings.IndexByte(id, ':')
	if i < 0 {
		return store.Key{}, false
	}
	p, err1 := unescapeKeyPart(id[:i])
	s, err2 := unescapeKeyPart(id[i+1:])
	if err1 != nil || err2 != nil || p == "" {
		return store.Key{}, false
	}
	return store.Key{Partition: p, Sort: s}, true
}

func unescapeKeyPart(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// storedName maps a top-level user field name to its document field name.
func storedName(name string) string {
	if strings.HasPrefix(name, "_") {
		return userEscape + name
	}
	return name
}

// userName maps a document field name back; it reports false for a
// bookkeeping field.
func userName(field string) (string, bool) {
	switch {
	case strings.HasPrefix(field, userEscape):
		return field[len(userEscape):], true
	case strings.HasPrefix(field, "_"):
		return "", false
	}
	return field, true
}

// encodeItem returns the fields of the document that stores it. ExpiresAt
// must already be truncated to microseconds.
func encodeItem(it *store.Item) (map[string]*pb.Value, error) {
	fields := make(map[string]*pb.Value, len(it.Data)+4)
	for k, v := range it.Data {
		ev, err := encodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		fields[storedName(k)] = ev
	}
	fields[fieldPartition] = &pb.Value{ValueType: &pb.Value_StringValue{StringValue: it.Key.Partition}}
	fields[fieldSort] = &pb.Value{ValueType: &pb.Value_BytesValue{BytesValue: []byte(it.Key.Sort)}}
	if !it.ExpiresAt.IsZero() {
		fields[fieldExpires] = &pb.Value{ValueType: &pb.Value_TimestampValue{TimestampValue: timestamppb.New(it.ExpiresAt)}}
	}
	// A write that changes nothing keeps Firestore's update_time; the
	// random tag makes every write change the document, so every write
	// gets a new revision.
	fields[fieldWriteTag] = &pb.Value{ValueType: &pb.Value_IntegerValue{IntegerValue: rand.Int64()}}
	return fields, nil
}

// encodeValue converts a normalised value. A list that directly holds a
// list (which Firestore cannot store) is stored as bytes holding its JSON
// encoding; user data never holds bytes, so this is unambiguous.
func encodeValue(v any) (*pb.Value, error) {
	switch v := v.(type) {
	case nil:
		return &pb.Value{ValueType: &pb.Value_NullValue{NullValue: structpb.NullValue_NULL_VALUE}}, nil
	case bool:
		return &pb.Value{ValueType: &pb.Value_BooleanValue{BooleanValue: v}}, nil
	case string:
		return &pb.Value{ValueType: &pb.Value_StringValue{StringValue: v}}, nil
	case int64:
		return &pb.Value{ValueType: &pb.Value_IntegerValue{IntegerValue: v}}, nil
	case float64:
		return &pb.Value{ValueType: &pb.Value_DoubleValue{DoubleValue: v}}, nil
	case []any:
		vals := make([]*pb.Value, len(v))
		for i, e := range v {
			if _, nested := e.([]any); nested {
				b, err := json.Marshal(v)
				if err != nil {
					return nil, err
				}
				return &pb.Value{ValueType: &pb.Value_BytesValue{BytesValue: b}}, nil
			}
			ev, err := encodeValue(e)
			if err != nil {
				return nil, err
			}
			vals[i] = ev
		}
		return &pb.Value{ValueType: &pb.Value_ArrayValue{ArrayValue: &pb.ArrayValue{Values: vals}}}, nil
	case map[string]any:
		fields := make(map[string]*pb.Value, len(v))
		for k, e := range v {
			ev, err := encodeValue(e)
			if err != nil {
				return nil, err
			}
			fields[k] = ev
		}
		return &pb.Value{ValueType: &pb.Value_MapValue{MapValue: &pb.MapValue{Fields: fields}}}, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}

// decodeValue converts a stored value back to a normalised one.
func decodeValue(v *pb.Value) (any, error) {
	switch v := v.GetValueType().(type) {
	case nil, *pb.Value_NullValue:
		return nil, nil
	case *pb.Value_BooleanValue:
		return v.BooleanValue, nil
	case *pb.Value_StringValue:
		return v.StringValue, nil
	case *pb.Value_IntegerValue:
		return v.IntegerValue, nil
	case *pb.Value_DoubleValue:
		f := v.DoubleValue
		if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return int64(f), nil
		}
		return f, nil
	case *pb.Value_BytesValue:
		dec := json.NewDecoder(bytes.NewReader(v.BytesValue))
		dec.UseNumber()
		var l []any
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("a bytes value is not an encoded list: %w", err)
		}
		return driver.NormalizeValue(l)
	case *pb.Value_ArrayValue:
		out := make([]any, len(v.ArrayValue.GetValues()))
		for i, e := range v.ArrayValue.GetValues() {
			d, err := decodeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case *pb.Value_MapValue:
		return decodeFields(v.MapValue.GetFields())
	case *pb.Value_TimestampValue:
		// Not written by this package; kept readable for documents
		// written by other tools.
		return v.TimestampValue.AsTime().Format(time.RFC3339Nano), nil
	case *pb.Value_ReferenceValue:
		return v.ReferenceValue, nil
	case *pb.Value_GeoPointValue:
		return map[string]any{"latitude": v.GeoPointValue.GetLatitude(), "longitude": v.GeoPointValue.GetLongitude()}, nil
	}
	return nil, fmt.Errorf("unsupported Firestore value %T", v.GetValueType())
}

func decodeFields(fields map[string]*pb.Value) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	for k, e := range fields {
		d, err := decodeValue(e)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		out[k] = d
	}
	return out, nil
}

// docState is what a read found at one key.
type docState struct {
	exists bool
	// item is set when exists; its Revision is set.
	item *store.Item
	// updateTime is the document's update_time, when exists.
	updateTime *timestamppb.Timestamp
	// guess is set when the state comes from the cache, not a read.
	guess bool
}

func (s *docState) live(now time.Time) bool { return s.exists && !s.item.Expired(now) }

// decodeDoc turns a stored document into its state.
func decodeDoc(doc *pb.Document) (*docState, error) {
	it := &store.Item{Data: make(map[string]any, len(doc.GetFields()))}
	var hasKey bool
	for name, v := range doc.GetFields() {
		if user, ok := userName(name); ok {
			d, err := decodeValue(v)
			if err != nil {
				return nil, fmt.Errorf("document %s: field %q: %w", doc.GetName(), user, err)
			}
			it.Data[user] = d
			continue
		}
		switch name {
		case fieldPartition:
			it.Key.Partition, hasKey = v.GetStringValue(), true
		case fieldSort:
			it.Key.Sort = string(v.GetBytesValue())
		case fieldExpires:
			if ts := v.GetTimestampValue(); ts != nil {
				it.ExpiresAt = ts.AsTime()
			}
		}
	}
	if !hasKey {
		id := doc.GetName()[strings.LastIndexByte(doc.GetName(), '/')+1:]
		k, ok := keyFromID(id)
		if !ok {
			return nil, fmt.Errorf("document %s has no %s field", doc.GetName(), fieldPartition)
		}
		it.Key = k
	}
	it.Revision = revision(doc.GetUpdateTime(), it.ExpiresAt)
	return &docState{exists: true, item: it, updateTime: doc.GetUpdateTime()}, nil
}

// revision returns the revision of a document version: its update_time in
// nanoseconds and, if it expires, "e" and the expiry in microseconds. The
// expiry lets IfRevision of an expired version fail without a read.
func revision(updateTime *timestamppb.Timestamp, expires time.Time) store.Revision {
	r := strconv.FormatInt(updateTime.AsTime().UnixNano(), 10)
	if !expires.IsZero() {
		r += "e" + strconv.FormatInt(expires.UnixMicro(), 10)
	}
	return store.Revision(r)
}

// parseRevision reverses revision; ok is false for a string revision never
// returned.
func parseRevision(r store.Revision) (updateTime *timestamppb.Timestamp, expires time.Time, ok bool) {
	s, e, hasE := strings.Cut(string(r), "e")
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ns <= 0 {
		return nil, time.Time{}, false
	}
	if hasE {
		us, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return nil, time.Time{}, false
		}
		expires = time.UnixMicro(us)
	}
	return timestamppb.New(time.Unix(0, ns)), expires, true
}

// fieldPath returns the Firestore field path of a user field path.
func fieldPath(path []string) string {
	var b strings.Builder
	for i, seg := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		if i == 0 {
			seg = storedName(seg)
		}
		quoteSegment(&b, seg)
	}
	return b.String()
}

// quoteSegment writes seg as a field path segment: as is when it is a
// simple name, else between backquotes with '`' and '\' escaped.
func quoteSegment(b *strings.Builder, seg string) {
	simple := seg != ""
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			simple = false
			break
		}
	}
	if simple {
		b.WriteString(seg)
		return
	}
	b.WriteByte('`')
	for i := 0; i < len(seg); i++ {
		if seg[i] == '`' || seg[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(seg[i])
	}
	b.WriteByte('`')
}
