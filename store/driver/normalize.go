package driver

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/internal/base"
)

// ItemSize returns the size of an item as the limits count it: the length
// of the JSON encoding of data (as encoding/json writes it) plus the lengths
// of the key's partition and sort key. Data must be normalised. Drivers use
// it to check MaxItemSize after applying field operations.
func ItemSize(key store.Key, data map[string]any) int {
	return jsonSize(data) + len(key.Partition) + len(key.Sort)
}

func jsonSize(v any) int {
	switch v := v.(type) {
	case nil:
		return 4
	case bool:
		if v {
			return 4
		}
		return 5
	case string:
		return stringSize(v)
	case int64:
		var b [24]byte
		return len(strconv.AppendInt(b[:0], v, 10))
	case float64:
		return floatSize(v)
	case map[string]any:
		n := 2
		if len(v) > 1 {
			n += len(v) - 1
		}
		for k, e := range v {
			n += stringSize(k) + 1 + jsonSize(e)
		}
		return n
	case []any:
		n := 2
		if len(v) > 1 {
			n += len(v) - 1
		}
		for _, e := range v {
			n += jsonSize(e)
		}
		return n
	}
	return 0
}

// jsonExtra[b] is how many bytes encoding/json adds when it quotes the
// ASCII byte b: 1 for \" \\ \n and the like, 5 for \u00XX (other control
// characters and <, >, & under its HTML escaping).
var jsonExtra = func() (t [utf8.RuneSelf]uint8) {
	for b := range utf8.RuneSelf {
		switch {
		case b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
			t[b] = 1
		case b < 0x20 || b == '<' || b == '>' || b == '&':
			t[b] = 5
		}
	}
	return t
}()

// stringSize is the length of s quoted as encoding/json quotes it (with its
// HTML escaping); s is valid UTF-8.
func stringSize(s string) int {
	n, _ := checkedStringSize(s)
	return n
}

// checkedStringSize returns stringSize(s) and whether s is valid UTF-8, in
// one pass.
func checkedStringSize(s string) (int, bool) {
	n := 2 + len(s)
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			n += int(jsonExtra[b])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return 0, false
		}
		if r == '\u2028' || r == '\u2029' {
			n += 6 - size
		}
		i += size
	}
	return n, true
}

func floatSize(f float64) int {
	var buf [32]byte
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(buf[:0], f, format, -1, 64)
	n := len(b)
	if format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		n--
	}
	return n
}

// pathError reports an invalid value at a field path; path segments are
// collected innermost first while the recursion unwinds.
type pathError struct {
	rev  []string
	msg  string
	kind error
}

func (e *pathError) at(seg string) *pathError {
	e.rev = append(e.rev, seg)
	return e
}

func (e *pathError) path() string {
	var b strings.Builder
	for i := len(e.rev) - 1; i >= 0; i-- {
		s := e.rev[i]
		if b.Len() > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func (e *pathError) toError(prefix string) error {
	msg := e.msg
	if p := e.path(); p != "" {
		msg = fmt.Sprintf("field %q: %s", shortPath(p), e.msg)
	}
	if prefix != "" {
		msg = prefix + ": " + msg
	}
	k := e.kind
	if k == nil {
		k = store.ErrInvalidArgument
	}
	return &store.Error{Kind: k, Msg: msg}
}

func invalidf(format string, args ...any) *pathError {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

// shortPath returns p, or its start and "..." when p is long (a path at the
// length limit would make an error message of over a kilobyte).
func shortPath(p string) string {
	const keep = 64
	if len(p) <= keep+16 {
		return p
	}
	i := keep
	for i > 0 && !utf8.RuneStart(p[i]) {
		i--
	}
	return p[:i] + "..."
}

// tooLongf reports a field path of n bytes, above MaxFieldPathLen.
func tooLongf(n int) *pathError {
	return invalidf("the field path is %d bytes long (names joined by dots); the limit is %d", n, store.MaxFieldPathLen)
}

// checkFieldName reports why name cannot be a field name, or "".
func checkFieldName(name string) string {
	switch {
	case name == "":
		return "field names must not be empty"
	case !utf8.ValidString(name):
		return fmt.Sprintf("field name %q is not valid UTF-8", name)
	case isReserved(name):
		return fmt.Sprintf("field name %q is reserved (names of the form __name__ are)", name)
	}
	return ""
}

// isReserved reports whether name has the form __name__ (Firestore's
// reserved field names).
func isReserved(name string) bool {
	return len(name) >= 4 && name[0] == '_' && name[1] == '_' && name[len(name)-2] == '_' && name[len(name)-1] == '_'
}

// normMap returns a normalised deep copy of m and its JSON size; depth is
// m's level: 1 for a document, which counts as the first of the MaxDepth
// levels of maps and lists. plen is the length of m's field path (0 for a
// document): the names of the maps that contain it joined by dots, lists
// adding nothing, as Firestore counts a field path.
func normMap(m map[string]any, depth, plen int) (map[string]any, int, *pathError) {
	out := make(map[string]any, len(m))
	n := 2
	if len(m) > 1 {
		n += len(m) - 1
	}
	for k, v := range m {
		kn, ok := checkedStringSize(k)
		if !ok || k == "" || isReserved(k) {
			return nil, 0, &pathError{msg: checkFieldName(k)}
		}
		kp := len(k)
		if plen > 0 {
			kp += plen + 1
		}
		if kp > store.MaxFieldPathLen {
			return nil, 0, tooLongf(kp).at(k)
		}
		nv, sz, err := normValue(v, depth, kp)
		if err != nil {
			return nil, 0, err.at(k)
		}
		out[k] = nv
		n += kn + 1 + sz
	}
	return out, n, nil
}

// normValue returns the normalised deep copy of v and its JSON size; depth
// is the number of maps and lists that contain v, the document included;
// plen is the length of v's field path (see normMap).
func normValue(v any, depth, plen int) (any, int, *pathError) {
	// Values already in normal form are returned as the same interface
	// value, which costs no allocation.
	switch x := v.(type) {
	case nil:
		return nil, 4, nil
	case string:
		n, ok := checkedStringSize(x)
		if !ok {
			return nil, 0, invalidf("string is not valid UTF-8")
		}
		return v, n, nil
	case bool:
		return v, jsonSize(x), nil
	case int64:
		return v, jsonSize(x), nil
	case int:
		return intValue(int64(x))
	case int32:
		return intValue(int64(x))
	case int16:
		return intValue(int64(x))
	case int8:
		return intValue(int64(x))
	case uint8:
		return intValue(int64(x))
	case uint16:
		return intValue(int64(x))
	case uint32:
		return intValue(int64(x))
	case uint:
		return uintValue(uint64(x))
	case uint64:
		return uintValue(x)
	case float64:
		nv, n, err := floatValue(x)
		if _, isFloat := nv.(float64); isFloat {
			nv = v
		}
		return nv, n, err
	case float32:
		// Through its shortest decimal form, so float32(0.1) is 0.1.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return floatValue(f)
	case json.Number:
		return numberValue(x)
	case map[string]any:
		if depth >= store.MaxDepth {
			return nil, 0, invalidf("nested deeper than %d levels", store.MaxDepth)
		}
		return wrapMap(normMap(x, depth+1, plen))
	case []any:
		if depth >= store.MaxDepth {
			return nil, 0, invalidf("nested deeper than %d levels", store.MaxDepth)
		}
		out := make([]any, len(x))
		n := 2 + max(len(x)-1, 0)
		for i, e := range x {
			nv, sz, err := normValue(e, depth+1, plen)
			if err != nil {
				return nil, 0, err.at("[" + strconv.Itoa(i) + "]")
			}
			out[i] = nv
			n += sz
		}
		return out, n, nil
	}
	return normReflect(v, depth, plen)
}

func wrapMap(m map[string]any, n int, err *pathError) (any, int, *pathError) {
	if err != nil {
		return nil, 0, err
	}
	return m, n, nil
}

func normList(length int, elem func(int) any, depth, plen int) (any, int, *pathError) {
	out := make([]any, length)
	n := 2
	if length > 1 {
		n += length - 1
	}
	for i := range out {
		nv, sz, err := normValue(elem(i), depth, plen)
		if err != nil {
			return nil, 0, err.at("[" + strconv.Itoa(i) + "]")
		}
		out[i] = nv
		n += sz
	}
	return out, n, nil
}

// normReflect handles other slice and map types ([]string,
// map[string]int, ...).
func normReflect(v any, depth, plen int) (any, int, *pathError) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, 0, invalidf("%T is not supported: store bytes as a (base64) string", v)
		}
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, 4, nil
		}
		if depth >= store.MaxDepth {
			return nil, 0, invalidf("nested deeper than %d levels", store.MaxDepth)
		}
		return normList(rv.Len(), func(i int) any { return rv.Index(i).Interface() }, depth+1, plen)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		if rv.IsNil() {
			return nil, 4, nil
		}
		if depth >= store.MaxDepth {
			return nil, 0, invalidf("nested deeper than %d levels", store.MaxDepth)
		}
		m := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			m[iter.Key().String()] = iter.Value().Interface()
		}
		return wrapMap(normMap(m, depth+1, plen))
	}
	return nil, 0, invalidf("values of type %T are not supported (use nil, bool, string, numbers, []any or map[string]any)", v)
}

func intValue(i int64) (any, int, *pathError) { return i, jsonSize(i), nil }

// uintValue refuses integers above math.MaxInt64: kept as a float64 they
// would be rounded (1<<63 + 1 reads back as 1<<63) or read back as a
// number that encoding/json cannot decode into a uint64 (math.MaxUint64
// as 18446744073709552000).
func uintValue(u uint64) (any, int, *pathError) {
	if u <= math.MaxInt64 {
		return intValue(int64(u))
	}
	return nil, 0, invalidf("%d is above %d, the largest integer every backend stores exactly (store it as a string)", u, int64(math.MaxInt64))
}

// numberValue normalises a json.Number. An integer literal outside the
// range of int64 is refused, as uintValue refuses, unless it is exactly
// how encoding/json writes a float64 (1e20 as "100000000000000000000"),
// which is then kept as that float and reads back unchanged.
func numberValue(x json.Number) (any, int, *pathError) {
	s := string(x)
	if i, err := x.Int64(); err == nil {
		return intValue(i)
	}
	f, err := strconv.ParseFloat(s, 64)
	if isIntLiteral(s) && (err != nil || strconv.FormatFloat(f, 'f', -1, 64) != s) {
		return nil, 0, invalidf("%s is outside %d to %d, the integers every backend stores exactly (store it as a string)", s, int64(math.MinInt64), int64(math.MaxInt64))
	}
	if err != nil {
		return nil, 0, invalidf("%q is not a number", s)
	}
	return floatValue(f)
}

// isIntLiteral reports whether s is an optional '-' and decimal digits.
func isIntLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// floatValue keeps f as float64, or as int64 when it is integral and fits.
func floatValue(f float64) (any, int, *pathError) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, 0, invalidf("%v is not a valid number", f)
	}
	if i, ok := floatToInt(f); ok {
		return intValue(i)
	}
	if a := math.Abs(f); a >= store.MaxFloat || a < store.MinFloat {
		return nil, 0, invalidf("%v is outside the range every backend stores (%g to %g in magnitude, or 0)", f, store.MinFloat, store.MaxFloat)
	}
	return f, floatSize(f), nil
}

func floatToInt(f float64) (int64, bool) {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return int64(f), true
	}
	return 0, false
}

// NormalizeValue returns v as Item.Data holds values: a deep copy with
// integers as int64, integral floats that fit as int64, other floats as
// float64, and lists and maps as []any and map[string]any. It fails with
// ErrInvalidArgument for unsupported types, NaN and infinities, integers
// beyond int64, invalid UTF-8, reserved field names and field paths longer
// than MaxFieldPathLen.
func NormalizeValue(v any) (any, error) {
	nv, _, err := normValue(v, 0, 0)
	if err != nil {
		return nil, err.toError("")
	}
	return nv, nil
}

func checkKey(k store.Key) error {
	switch {
	case k.Partition == "":
		return store.Errorf(store.ErrInvalidArgument, "the partition key is empty")
	case len(k.Partition) > store.MaxPartitionLen:
		return store.Errorf(store.ErrInvalidArgument, "the partition key is %d bytes long; the limit is %d", len(k.Partition), store.MaxPartitionLen)
	case len(k.Sort) > store.MaxSortLen:
		return store.Errorf(store.ErrInvalidArgument, "the sort key is %d bytes long; the limit is %d", len(k.Sort), store.MaxSortLen)
	}
	if err := checkKeyString("partition", k.Partition); err != nil {
		return err
	}
	return checkKeyString("sort", k.Sort)
}

func checkKeyString(what, s string) error {
	if !utf8.ValidString(s) {
		return store.Errorf(store.ErrInvalidArgument, "the %s key is not valid UTF-8", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return store.Errorf(store.ErrInvalidArgument, "the %s key contains a NUL character", what)
	}
	return nil
}

// prepareItem validates it and returns a normalised deep copy.
func prepareItem(it *store.Item) (*store.Item, error) {
	if it == nil {
		return nil, store.Errorf(store.ErrInvalidArgument, "the item is nil")
	}
	if err := checkKey(it.Key); err != nil {
		return nil, err
	}
	data, n, perr := normMap(it.Data, 1, 0) // the document is the first level
	if perr != nil {
		return nil, perr.toError("")
	}
	size := n + len(it.Key.Partition) + len(it.Key.Sort)
	if size > store.MaxItemSize {
		return nil, store.Errorf(store.ErrTooLarge, "the item is %d bytes (JSON and key); the limit is %d", size, store.MaxItemSize)
	}
	out := &store.Item{Key: it.Key, Data: data}
	if !it.ExpiresAt.IsZero() {
		// Milliseconds are what every backend keeps (Cosmos DB the
		// fewest), so every backend returns the same instant.
		out.ExpiresAt = it.ExpiresAt.Round(0).Truncate(time.Millisecond)
	}
	return out, nil
}

func checkPath(p []string) error {
	if len(p) == 0 {
		return store.Errorf(store.ErrInvalidArgument, "a field path is empty")
	}
	if len(p) > store.MaxDepth {
		return store.Errorf(store.ErrInvalidArgument, "field path %q is deeper than %d levels", strings.Join(p, "."), store.MaxDepth)
	}
	if n := len(p) - 1 + lenSum(p); n > store.MaxFieldPathLen {
		return store.Errorf(store.ErrInvalidArgument, "field path %q is %d bytes long (names joined by dots); the limit is %d", shortPath(strings.Join(p, ".")), n, store.MaxFieldPathLen)
	}
	for _, s := range p {
		if s == "" {
			return store.Errorf(store.ErrInvalidArgument, "field path %q has an empty segment", strings.Join(p, "."))
		}
		if strings.IndexByte(s, '.') >= 0 {
			return store.Errorf(store.ErrInvalidArgument, "field path segment %q contains a dot", s)
		}
		if msg := checkFieldName(s); msg != "" {
			return store.Errorf(store.ErrInvalidArgument, "field path %q: %s", strings.Join(p, "."), msg)
		}
	}
	return nil
}

func lenSum(p []string) int {
	n := 0
	for _, s := range p {
		n += len(s)
	}
	return n
}

// prepareOps validates ops and returns copies with normalised values.
func prepareOps(ops []store.FieldOp) ([]store.FieldOp, error) {
	if len(ops) == 0 {
		return nil, store.Errorf(store.ErrInvalidArgument, "no field operations")
	}
	out := make([]store.FieldOp, len(ops))
	for i, op := range ops {
		if err := checkPath(op.Path); err != nil {
			return nil, err
		}
		p := strings.Join(op.Path, ".")
		o := store.FieldOp{Kind: op.Kind, Path: slices.Clone(op.Path)}
		switch op.Kind {
		case store.OpSet:
			v, n, perr := normValue(op.Value, len(op.Path), len(p)) // in the document and len-1 maps
			if perr != nil {
				return nil, perr.toError(fmt.Sprintf("Set %q", p))
			}
			if n > store.MaxItemSize {
				return nil, store.Errorf(store.ErrTooLarge, "Set %q: the value is %d bytes; the item limit is %d", p, n, store.MaxItemSize)
			}
			o.Value = v
		case store.OpIncrement:
			v, _, perr := normValue(op.Value, 0, 0)
			if perr != nil {
				return nil, perr.toError(fmt.Sprintf("Increment %q", p))
			}
			switch v.(type) {
			case int64, float64:
			default:
				return nil, store.Errorf(store.ErrInvalidArgument, "Increment %q: the delta %v (%T) is not a number", p, op.Value, op.Value)
			}
			o.Value = v
		case store.OpRemove:
		default:
			return nil, store.Errorf(store.ErrInvalidArgument, "field operation %d has unknown kind %d", i, op.Kind)
		}
		for _, prev := range out[:i] {
			if isPrefix(prev.Path, op.Path) || isPrefix(op.Path, prev.Path) {
				return nil, store.Errorf(store.ErrInvalidArgument, "field paths %q and %q overlap", strings.Join(prev.Path, "."), p)
			}
		}
		out[i] = o
	}
	return out, nil
}

func isPrefix(p, of []string) bool {
	return len(p) <= len(of) && slices.Equal(p, of[:len(p)])
}

// ApplyFieldOps applies validated field operations to data in place, as
// Update defines them: Set needs the parent maps to exist, Remove of a
// missing field does nothing, Increment treats a missing field as 0 and
// needs a number otherwise. Integer increments that overflow int64 give a
// float64. A path through a value that is not a map, or an Increment of a
// value that is not a number, is ErrInvalidArgument. Drivers that update
// by reading, changing and writing back an item use it.
func ApplyFieldOps(data map[string]any, ops []store.FieldOp) error {
	for _, op := range ops {
		parent := data
		for i, seg := range op.Path[:len(op.Path)-1] {
			next, ok := parent[seg]
			if !ok && op.Kind == store.OpRemove {
				parent = nil
				break
			}
			m, isMap := next.(map[string]any)
			if !isMap {
				if op.Kind == store.OpRemove {
					parent = nil
					break
				}
				what := "does not exist"
				if ok {
					what = fmt.Sprintf("is a %s, not a map", typeName(next))
				}
				return store.Errorf(store.ErrInvalidArgument, "field %q %s", strings.Join(op.Path[:i+1], "."), what)
			}
			parent = m
		}
		if parent == nil {
			continue
		}
		last := op.Path[len(op.Path)-1]
		switch op.Kind {
		case store.OpSet:
			parent[last] = base.CloneValue(op.Value)
		case store.OpRemove:
			delete(parent, last)
		case store.OpIncrement:
			cur, ok := parent[last]
			if !ok {
				cur = int64(0)
			}
			sum, err := addNumbers(cur, op.Value)
			if err != nil {
				return store.Errorf(store.ErrInvalidArgument, "Increment %q: %v", strings.Join(op.Path, "."), err)
			}
			parent[last] = sum
		}
	}
	return nil
}

func addNumbers(a, b any) (any, error) {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		s := ai + bi
		if (s > ai) == (bi > 0) {
			return s, nil
		}
		return float64(ai) + float64(bi), nil
	}
	af, ok1 := toFloat(a)
	bf, ok2 := toFloat(b)
	if !ok1 {
		return nil, fmt.Errorf("the field holds a %s, not a number", typeName(a))
	}
	if !ok2 {
		return nil, fmt.Errorf("the delta is a %s, not a number", typeName(b))
	}
	v, _, perr := floatValue(af + bf)
	if perr != nil {
		return nil, fmt.Errorf("the result %s", perr.msg)
	}
	return v, nil
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case int64, float64:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

// checkCond validates c for an operation; allowNotExists is false for
// Update and Delete.
func checkCond(c store.Condition, allowNotExists bool) error {
	switch c.Kind() {
	case store.CondNone, store.CondExists:
	case store.CondNotExists:
		if !allowNotExists {
			return store.Errorf(store.ErrInvalidArgument, "IfNotExists applies to Put only")
		}
	case store.CondRevision:
		if c.Revision() == "" {
			return store.Errorf(store.ErrInvalidArgument, "IfRevision needs a revision")
		}
	default:
		// The constructors make only the kinds above; PutOp, UpdateOp and
		// DeleteOp given more than one condition make another.
		return errTooManyConds
	}
	return nil
}

// checkFilter validates f and returns it with a normalised value.
func checkFilter(f store.Filter) (store.Filter, error) {
	if err := checkPath(f.Path); err != nil {
		return f, err
	}
	v, err := NormalizeValue(f.Value)
	if err != nil {
		return f, err
	}
	switch v.(type) {
	case nil, bool, string, int64, float64:
	default:
		return f, store.Errorf(store.ErrInvalidArgument, "filter on %q: only null, bool, string and number values can be compared", strings.Join(f.Path, "."))
	}
	return store.Filter{Path: slices.Clone(f.Path), Value: v}, nil
}

var errTooManyConds = store.Errorf(store.ErrInvalidArgument, "at most one condition may be given")

// firstCond returns the only condition of a Put, Update or Delete call.
func firstCond(c []store.Condition) (store.Condition, error) {
	switch len(c) {
	case 0:
		return store.Condition{}, nil
	case 1:
		return c[0], nil
	}
	return store.Condition{}, errTooManyConds
}

// CloneData returns a deep copy of normalised data (maps, lists and scalar
// values, as Item.Data holds them).
func CloneData(m map[string]any) map[string]any { return base.CloneData(m) }
