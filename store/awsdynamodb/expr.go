package awsdynamodb

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// exprs builds the expressions of one request. Every attribute name goes
// through a placeholder (#n0, #n1, ...), so no field name can clash with a
// reserved word or contain characters the expression syntax forbids, and
// every value through :v0, :v1, ...
type exprs struct {
	names  map[string]string // placeholder -> attribute name
	byName map[string]string // attribute name -> placeholder
	values map[string]types.AttributeValue
}

func newExprs() *exprs {
	return &exprs{names: map[string]string{}, byName: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// name returns the placeholder of an attribute name.
func (e *exprs) name(n string) string {
	if p, ok := e.byName[n]; ok {
		return p
	}
	p := "#n" + strconv.Itoa(len(e.names))
	e.names[p] = n
	e.byName[n] = p
	return p
}

// dataPath returns the document path of a field of the item's data.
func (e *exprs) dataPath(path []string) string {
	var b strings.Builder
	b.WriteString(e.name(attrData))
	for _, p := range path {
		b.WriteByte('.')
		b.WriteString(e.name(p))
	}
	return b.String()
}

// value returns the placeholder of a value.
func (e *exprs) value(av types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(e.values))
	e.values[p] = av
	return p
}

func (e *exprs) str(s string) string { return e.value(&types.AttributeValueMemberS{Value: s}) }

// attrNames and attrValues return the maps for the request, nil when empty
// (DynamoDB refuses empty maps).
func (e *exprs) attrNames() map[string]string {
	if len(e.names) == 0 {
		return nil
	}
	return e.names
}

func (e *exprs) attrValues() map[string]types.AttributeValue {
	if len(e.values) == 0 {
		return nil
	}
	return e.values
}

// live is the condition "the item exists and has not expired at now".
func (e *exprs) live(now time.Time) string {
	return "attribute_exists(" + e.name(attrPartition) + ") AND " + e.unexpired(now)
}

// unexpired is true for an item without expiry or expiring after now; it
// is also true for an absent item.
func (e *exprs) unexpired(now time.Time) string {
	x := e.name(attrExpires)
	return "(attribute_not_exists(" + x + ") OR " + x + " > " + e.value(encodeTime(now)) + ")"
}

// condition returns the ConditionExpression for cond at now, or "" when
// the write is unconditional.
func (e *exprs) condition(cond store.Condition, now time.Time) string {
	switch cond.Kind() {
	case store.CondNotExists:
		x := e.name(attrExpires)
		return "attribute_not_exists(" + e.name(attrPartition) + ") OR " + x + " <= " + e.value(encodeTime(now))
	case store.CondExists:
		return e.live(now)
	case store.CondRevision:
		return e.name(attrRevision) + " = " + e.str(string(cond.Revision())) + " AND " + e.unexpired(now)
	}
	return ""
}

// update returns the UpdateExpression that applies ops and sets the new
// revision rev, and the conditions ops need to apply as Update defines
// them: every parent of a Set or Increment is a map, an Increment's field
// is absent or a number, and the item's size bound leaves room for what
// the ops may add. Every op applies to the item's data; Increment treats a
// missing field as 0. The size attribute grows by that bound, so it stays
// at least the item's size.
func (e *exprs) update(ops []store.FieldOp, rev store.Revision) (upd string, conds []string, err error) {
	sets := []string{e.name(attrRevision) + " = " + e.str(string(rev))}
	var removes []string
	seen := map[string]bool{}
	cond := func(c string) {
		if !seen[c] {
			seen[c] = true
			conds = append(conds, c)
		}
	}
	// The data must be a map, not compressed (see encodeItem).
	mapType := e.str("M")
	cond("attribute_type(" + e.name(attrData) + ", " + mapType + ")")
	var numType string
	added := 0
	for _, op := range ops {
		p := e.dataPath(op.Path)
		last := op.Path[len(op.Path)-1]
		if op.Kind == store.OpSet || op.Kind == store.OpIncrement {
			for i := 1; i < len(op.Path); i++ {
				cond("attribute_type(" + e.dataPath(op.Path[:i]) + ", " + mapType + ")")
			}
		}
		switch op.Kind {
		case store.OpSet:
			av, err := encodeValue(op.Value)
			if err != nil {
				return "", nil, err
			}
			sets = append(sets, p+" = "+e.value(av))
			added += driver.ItemSize(store.Key{}, map[string]any{last: op.Value})
		case store.OpRemove:
			removes = append(removes, p)
		case store.OpIncrement:
			av, err := encodeValue(op.Value)
			if err != nil {
				return "", nil, err
			}
			if numType == "" {
				numType = e.str("N")
			}
			cond("(attribute_not_exists(" + p + ") OR attribute_type(" + p + ", " + numType + "))")
			zero := e.value(&types.AttributeValueMemberN{Value: "0"})
			sets = append(sets, p+" = if_not_exists("+p+", "+zero+") + "+e.value(av))
			added += len(last) + maxNumberJSON + 6
		default:
			return "", nil, store.Errorf(store.ErrInvalidArgument, "unknown field operation %d", op.Kind)
		}
	}
	z := e.name(attrSize)
	n := func(i int) string { return e.value(&types.AttributeValueMemberN{Value: strconv.Itoa(i)}) }
	sets = append(sets, z+" = "+z+" + "+n(added))
	cond(z + " <= " + n(store.MaxItemSize-added))
	upd = "SET " + strings.Join(sets, ", ")
	if len(removes) > 0 {
		upd += " REMOVE " + strings.Join(removes, ", ")
	}
	return upd, conds, nil
}

// maxNumberJSON is the longest JSON form of a number, as encoding/json
// writes it ("-1.2345678901234567e-308").
const maxNumberJSON = 24
