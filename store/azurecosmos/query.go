package azurecosmos

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// buildQuery turns a driver.Query into parameterised SQL. Every value
// (partition, sort-key operands, the resume point, the time, filter
// values) is a parameter; field names, which SQL cannot take as
// parameters, are written as string literals in which every character
// other than an ASCII letter, digit or underscore is a \u escape, so no
// field name can end the literal.
func buildQuery(q *driver.Query) (string, []azcosmos.QueryParameter) {
	var sql strings.Builder
	var params []azcosmos.QueryParameter
	param := func(v any) string {
		name := "@p" + strconv.Itoa(len(params))
		params = append(params, azcosmos.QueryParameter{Name: name, Value: v})
		return name
	}
	sk := "c." + skField
	sql.WriteString("SELECT * FROM c WHERE c." + pkField + " = " + param(q.Partition))
	switch s := q.Sort; s.Op {
	case store.SortEq:
		sql.WriteString(" AND " + sk + " = " + param(sortValue(s.Value)))
	case store.SortLT:
		sql.WriteString(" AND " + sk + " < " + param(sortValue(s.Value)))
	case store.SortLE:
		sql.WriteString(" AND " + sk + " <= " + param(sortValue(s.Value)))
	case store.SortGT:
		sql.WriteString(" AND " + sk + " > " + param(sortValue(s.Value)))
	case store.SortGE:
		sql.WriteString(" AND " + sk + " >= " + param(sortValue(s.Value)))
	case store.SortBetween:
		sql.WriteString(" AND " + sk + " >= " + param(sortValue(s.Value)) + " AND " + sk + " <= " + param(sortValue(s.Value2)))
	case store.SortPrefix:
		if s.Value != "" {
			sql.WriteString(" AND STARTSWITH(" + sk + ", " + param(sortValue(s.Value)) + ")")
		}
	}
	if q.HasAfter {
		op := " > "
		if q.Descending {
			op = " < "
		}
		sql.WriteString(" AND " + sk + op + param(sortValue(q.After)))
	}
	sql.WriteString(" AND (NOT IS_DEFINED(c." + expField + ") OR c." + expField + " > " + param(q.Now.UnixMilli()) + ")")
	for _, f := range q.Filters {
		sql.WriteString(" AND " + fieldRef(f.Path) + " = " + param(encodeValue(f.Value)))
	}
	sql.WriteString(" ORDER BY " + sk)
	if q.Descending {
		sql.WriteString(" DESC")
	} else {
		sql.WriteString(" ASC")
	}
	return sql.String(), params
}

// fieldRef is the SQL reference to a user field: c["d"]["a"]["b"].
func fieldRef(path []string) string {
	var b strings.Builder
	b.WriteString("c[" + sqlString(dataField) + "]")
	for _, seg := range path {
		b.WriteString("[" + sqlString(seg) + "]")
	}
	return b.String()
}

// sqlString quotes s as a SQL string literal that holds only letters,
// digits, underscores and \u escapes.
func sqlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Query runs one page of the query: one request, ordered by the sort key,
// at most q.Limit items. It resumes after q.After by a sort-key bound in
// the SQL rather than a continuation token, which is exact under inserts
// and deletes between pages.
func (d *cosmosDriver) Query(ctx context.Context, q *driver.Query) ([]*store.Item, bool, error) {
	sql, params := buildQuery(q)
	pager := d.c.NewQueryItemsPager(sql, azcosmos.NewPartitionKeyString(q.Partition), &azcosmos.QueryOptions{
		QueryParameters: params,
		PageSizeHint:    int32(q.Limit),
	})
	for pager.More() {
		resp, err := pager.NextPage(ctx)
		if err != nil {
			return nil, false, mapError(err)
		}
		more := resp.ContinuationToken != nil && *resp.ContinuationToken != ""
		if len(resp.Items) == 0 && more {
			continue // an empty page with more to come: fetch the next one
		}
		if len(resp.Items) > q.Limit {
			return nil, false, &store.Error{Kind: store.ErrUnavailable, Msg: fmt.Sprintf("Cosmos DB returned %d items for a page of %d", len(resp.Items), q.Limit)}
		}
		items := make([]*store.Item, 0, len(resp.Items))
		for _, raw := range resp.Items {
			dc, err := decodeDoc(raw)
			if err != nil {
				return nil, false, kindError(store.ErrUnavailable, err.Error(), err)
			}
			it, err := itemOf(dc)
			if err != nil {
				return nil, false, err
			}
			items = append(items, it)
		}
		return items, more, nil
	}
	return nil, false, nil
}
