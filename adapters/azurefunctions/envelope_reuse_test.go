package azurefunctions_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// describe renders everything a handler can read of a request and its
// identities into a new string.
func describe(r *handler.Request, ids []azurefunctions.ClaimsIdentity) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s %s ?%s %q\n", r.Method, r.Host, r.BasePath, r.Path, r.RawPath, r.RawQuery, r.Body)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, r.Header[k])
	}
	for i := range 6 {
		fmt.Fprintf(&b, "p%d=%q ", i, r.PathValue("p"+strconv.Itoa(i)))
	}
	fmt.Fprintf(&b, "\n%#v\n", ids)
	if r.Identity != nil {
		fmt.Fprintf(&b, "%#v\n", *r.Identity)
	}
	return b.String()
}

// TestPayloadEnvelopeReuseEveryField serves envelopes that reach each way a
// kept string is decoded (escaped and plain strings, header names the host
// sends non-canonical, repeated in two spellings, lists, more path
// parameters than the Request holds inline, Query and Identities as JSON in
// a string, and Identities as a list), each followed by envelopes of the same length whose every
// string differs, which the adapter reads into the buffers it reuses; what
// the first handler saw must be unchanged afterwards, field by field.
func TestPayloadEnvelopeReuseEveryField(t *testing.T) {
	type kept struct {
		r    *handler.Request
		ids  []azurefunctions.ClaimsIdentity
		seen string
	}
	var got []kept
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		ids := azurefunctions.IdentitiesFrom(ctx)
		got = append(got, kept{r, ids, describe(r, ids)})
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("ok")}, nil
	}))
	envelope := func(c string) string {
		s := strings.Repeat(c, 4)
		params := ""
		for i := range 6 {
			params += `"p` + strconv.Itoa(i) + `":"` + s + strconv.Itoa(i) + `",`
		}
		ids := `[{"AuthenticationType":"aad` + s + `","IsAuthenticated":true,"Name":"n\u00e9` + s + `","Label":"l` + s +
			`","NameClaimType":"nt` + s + `","RoleClaimType":"rt` + s + `","Claims":[{"Type":"sub","Value":"v` + s +
			`","ValueType":"vt` + s + `","Issuer":"i` + s + `","OriginalIssuer":"o` + s + `"},{"Type":"rt` + s + `","Value":"role` + s + `"}]}]`
		if c == "b" || c == "d" || c == "x" || c == "z" {
			ids = `"` + strings.ReplaceAll(strings.ReplaceAll(ids, `\`, `\\`), `"`, `\"`) + `"` // as older hosts send it
		}
		return `{"Data":{"req":{"Url":"https://h` + s + `.example/api/it%2Fems/` + s + `","Method":"PATCH",` +
			`"Query":"{\"q\":\"` + s + ` \\u00e9\"}",` +
			`"Headers":{"x-lower-` + s + `":["a` + s + `","b\t` + s + `"],"X-LOWER-` + s + `":"c` + s + `","X-Esc":"\u00e9\"` + s + `",` +
			`"content-type":["text/plain"]},` +
			`"Params":{` + strings.TrimSuffix(params, ",") + `},` +
			`"Identities":` + ids + `,` +
			`"Body":"body ` + s + `"}},"Metadata":{"Headers":{"x-lower-` + s + `":"` + s + `"}}}`
	}
	for i, c := range []string{"a", "b", "c", "d"} {
		invoke(t, h, envelope(c))
		for _, other := range []string{"w", "x", "y", "z"} {
			invoke(t, h, envelope(other))
		}
		if g := got[i*5]; describe(g.r, g.ids) != g.seen {
			t.Errorf("envelope %s: the handler saw\n%s\nand later\n%s", c, g.seen, describe(g.r, g.ids))
		}
		if !strings.Contains(got[i*5].seen, http.CanonicalHeaderKey("X-Lower-"+strings.Repeat(c, 4))) || !strings.Contains(got[i*5].seen, `p5="`+strings.Repeat(c, 4)+`5"`) {
			t.Fatalf("envelope %s decoded as\n%s", c, got[i*5].seen)
		}
	}
}
