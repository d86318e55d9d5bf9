package awsdynamodb

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// The attributes of an item in the table. They are short because DynamoDB
// counts attribute names in the 400 KB item size.
const (
	attrPartition = "p" // partition key (HASH), S
	attrSort      = "s" // sort key (RANGE), S, see encodeSort
	attrData      = "d" // the document, M
	attrRevision  = "r" // revision, S
	attrTTL       = "t" // expiry in whole epoch seconds, rounded up: DynamoDB's TTL attribute
	attrExpires   = "e" // exact expiry in epoch seconds with nanoseconds, N
	attrSize      = "z" // at least the item's size as driver.ItemSize counts it, N
)

// emptySort stands for the empty sort key, which DynamoDB refuses as a key
// value. Keys contain no NUL character, so "\x00" is never a real sort key,
// and it sorts before every non-empty one, as "" does.
const emptySort = "\x00"

// encodeSort returns the stored form of a sort key (or of a sort-key
// operand: the mapping preserves order).
func encodeSort(s string) string {
	if s == "" {
		return emptySort
	}
	return s
}

// decodeSort reverses encodeSort.
func decodeSort(s string) string {
	if s == emptySort {
		return ""
	}
	return s
}

// keyAttrs returns the primary key of key.
func keyAttrs(key store.Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPartition: &types.AttributeValueMemberS{Value: key.Partition},
		attrSort:      &types.AttributeValueMemberS{Value: encodeSort(key.Sort)},
	}
}

// newRevision returns a fresh random revision: 96 bits in 16 characters.
func newRevision() store.Revision {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return store.Revision(base64.RawURLEncoding.EncodeToString(b[:]))
}

// compressAbove is the item size, as DynamoDB counts it, above which the
// data is stored compressed. AWS documents the item limit as "400 KB";
// read as 400,000 bytes, that leaves room for every item the store's own
// limit admits (DynamoDB counts attribute names and type overheads that
// the JSON size does not, and moto refuses items above 405,000 bytes).
const compressAbove = 400_000

// encodeItem returns the stored form of it with revision rev. The data is
// a map (M), or, when the item would be larger than compressAbove that
// way, its JSON encoding compressed with DEFLATE (B), if that is smaller.
func encodeItem(it *store.Item, rev store.Revision) (map[string]types.AttributeValue, error) {
	m, err := encodeMap(it.Data, 0)
	if err != nil {
		return nil, err
	}
	var data types.AttributeValue = m
	if dynamoSize(attrData, m)+len(it.Key.Partition)+len(it.Key.Sort) > compressAbove {
		if z, err := compressData(it.Data); err == nil && len(z.Value) < dynamoSize("", m) {
			data = z
		}
	}
	av := keyAttrs(it.Key)
	av[attrData] = data
	av[attrRevision] = &types.AttributeValueMemberS{Value: string(rev)}
	av[attrSize] = &types.AttributeValueMemberN{Value: strconv.Itoa(driver.ItemSize(it.Key, it.Data))}
	if !it.ExpiresAt.IsZero() {
		av[attrTTL] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ttlSeconds(it.ExpiresAt), 10)}
		av[attrExpires] = encodeTime(it.ExpiresAt)
	}
	return av, nil
}

// decodeItem reverses encodeItem.
func decodeItem(av map[string]types.AttributeValue) (*store.Item, error) {
	p, ok1 := av[attrPartition].(*types.AttributeValueMemberS)
	s, ok2 := av[attrSort].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("awsdynamodb: item without string key attributes %q and %q", attrPartition, attrSort)
	}
	it := &store.Item{Key: store.Key{Partition: p.Value, Sort: decodeSort(s.Value)}}
	if r, ok := av[attrRevision].(*types.AttributeValueMemberS); ok {
		it.Revision = store.Revision(r.Value)
	}
	switch d := av[attrData].(type) {
	case nil:
		it.Data = map[string]any{}
	case *types.AttributeValueMemberM:
		v, err := decodeValue(d)
		if err != nil {
			return nil, err
		}
		it.Data = v.(map[string]any)
	case *types.AttributeValueMemberB:
		m, err := decompressData(d.Value)
		if err != nil {
			return nil, err
		}
		it.Data = m
	default:
		return nil, fmt.Errorf("awsdynamodb: item attribute %q is %T, not a map", attrData, d)
	}
	if e, ok := av[attrExpires].(*types.AttributeValueMemberN); ok {
		t, err := decodeTime(e.Value)
		if err != nil {
			return nil, err
		}
		it.ExpiresAt = t
	}
	return it, nil
}

// expiredAt reports whether the stored item av has expired at now.
func expiredAt(av map[string]types.AttributeValue, now time.Time) bool {
	e, ok := av[attrExpires].(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	t, err := decodeTime(e.Value)
	return err == nil && !t.After(now)
}

// ttlSeconds is t in whole epoch seconds, rounded up, so that DynamoDB's
// own TTL never deletes an item before it has expired.
func ttlSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// encodeTime returns t as a number of epoch seconds with nine decimals,
// exact, comparable by DynamoDB as a number.
func encodeTime(t time.Time) *types.AttributeValueMemberN {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	sign := ""
	if sec < 0 {
		sign = "-"
		if nsec > 0 {
			sec++
			nsec = 1e9 - nsec
		}
		sec = -sec
	}
	return &types.AttributeValueMemberN{Value: fmt.Sprintf("%s%d.%09d", sign, sec, nsec)}
}

// decodeTime reverses encodeTime, accepting any decimal form DynamoDB may
// normalise the number to.
func decodeTime(s string) (time.Time, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return time.Time{}, fmt.Errorf("awsdynamodb: bad expiry number %q", s)
	}
	ns := new(big.Int).Mul(r.Num(), big.NewInt(1e9))
	ns.Quo(ns, r.Denom())
	sec, nsec := new(big.Int).DivMod(ns, big.NewInt(1e9), new(big.Int))
	if !sec.IsInt64() {
		return time.Time{}, fmt.Errorf("awsdynamodb: expiry %q out of range", s)
	}
	return time.Unix(sec.Int64(), nsec.Int64()), nil
}

// DynamoDB numbers hold 38 significant digits between 1E-130 and
// 9.99...E+125 in magnitude: every int64, and every float the store admits
// (store.MinFloat, store.MaxFloat).

func encodeMap(m map[string]any, depth int) (*types.AttributeValueMemberM, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := encodeValueDepth(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = av
	}
	return &types.AttributeValueMemberM{Value: out}, nil
}

// encodeValue returns the DynamoDB form of a normalised data value.
func encodeValue(v any) (types.AttributeValue, error) { return encodeValueDepth(v, 0) }

func encodeValueDepth(v any, depth int) (types.AttributeValue, error) {
	if depth > store.MaxDepth+1 {
		return nil, store.Errorf(store.ErrInvalidArgument, "value nested deeper than %d", store.MaxDepth)
	}
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case int64:
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(x, 10)}, nil
	case int:
		return &types.AttributeValueMemberN{Value: strconv.Itoa(x)}, nil
	case float64:
		return encodeFloat(x)
	case []any:
		out := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := encodeValueDepth(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case map[string]any:
		return encodeMap(x, depth)
	}
	return nil, store.Errorf(store.ErrInvalidArgument, "unsupported value type %T", v)
}

func encodeFloat(f float64) (types.AttributeValue, error) {
	if a := math.Abs(f); math.IsNaN(f) || (a != 0 && (a < store.MinFloat || a >= store.MaxFloat)) {
		return nil, store.Errorf(store.ErrInvalidArgument, "number %v is outside DynamoDB's range", f)
	}
	// Plain decimal notation: DynamoDB and moto both accept it, and it
	// has no exponent for moto's arithmetic to stumble on.
	return &types.AttributeValueMemberN{Value: strconv.FormatFloat(f, 'f', -1, 64)}, nil
}

// decodeValue returns the data value of av.
func decodeValue(av types.AttributeValue) (any, error) {
	switch x := av.(type) {
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberBOOL:
		return x.Value, nil
	case *types.AttributeValueMemberS:
		return x.Value, nil
	case *types.AttributeValueMemberN:
		return decodeNumber(x.Value)
	case *types.AttributeValueMemberL:
		out := make([]any, len(x.Value))
		for i, e := range x.Value {
			v, err := decodeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *types.AttributeValueMemberM:
		out := make(map[string]any, len(x.Value))
		for k, e := range x.Value {
			v, err := decodeValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("awsdynamodb: unsupported attribute value %T", av)
}

// decodeNumber returns an int64 when s is integral and fits, a float64
// otherwise.
func decodeNumber(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	if strings.ContainsAny(s, ".eE") {
		// "2.0", "2E+1": integral values in another notation.
		if r, ok := new(big.Rat).SetString(s); ok && r.IsInt() && r.Num().IsInt64() {
			return r.Num().Int64(), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("awsdynamodb: bad number %q: %w", s, err)
	}
	return f, nil
}

// dynamoSize is the size DynamoDB counts for an attribute named name holding
// av: the name's bytes plus the value's, where a list or map adds 3 bytes
// and 1 per element, a number at most its decimal digits, and a null or a
// boolean 1 byte. It errs on the large side.
func dynamoSize(name string, av types.AttributeValue) int {
	n := len(name)
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		n += len(x.Value)
	case *types.AttributeValueMemberN:
		n += len(x.Value)
	case *types.AttributeValueMemberB:
		n += len(x.Value)
	case *types.AttributeValueMemberL:
		n += 3
		for _, e := range x.Value {
			n += 1 + dynamoSize("", e)
		}
	case *types.AttributeValueMemberM:
		n += 3
		for k, e := range x.Value {
			n += 1 + dynamoSize(k, e)
		}
	default:
		n++
	}
	return n
}

// compressData returns data as DEFLATE-compressed JSON.
func compressData(data map[string]any) (*types.AttributeValueMemberB, error) {
	js, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(js); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberB{Value: b.Bytes()}, nil
}

// decompressData reverses compressData, numbers as decodeNumber reads them.
func decompressData(z []byte) (map[string]any, error) {
	dec := json.NewDecoder(flate.NewReader(bytes.NewReader(z)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("awsdynamodb: compressed data: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("awsdynamodb: compressed data: trailing bytes")
	}
	v, err := fromJSON(m)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// fromJSON turns json.Number values into int64 or float64.
func fromJSON(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return decodeNumber(string(x))
	case []any:
		for i, e := range x {
			d, err := fromJSON(e)
			if err != nil {
				return nil, err
			}
			x[i] = d
		}
	case map[string]any:
		for k, e := range x {
			d, err := fromJSON(e)
			if err != nil {
				return nil, err
			}
			x[k] = d
		}
	}
	return v, nil
}

// matchFilters reports whether data satisfies every filter: the field at
// the filter's path holds the filter's value. Query applies them to the
// items DynamoDB could not filter (those with compressed data).
func matchFilters(data map[string]any, filters []store.Filter) bool {
	for _, f := range filters {
		var v any = data
		found := true
		for _, seg := range f.Path {
			m, ok := v.(map[string]any)
			if !ok {
				found = false
				break
			}
			if v, ok = m[seg]; !ok {
				found = false
				break
			}
		}
		if !found || v != f.Value {
			return false
		}
	}
	return true
}
