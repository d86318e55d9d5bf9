package azurefunctions

import (
	"context"
	"strings"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// ClaimsIdentity is one identity the host verified for the request, as it
// serializes .NET's System.Security.Claims.ClaimsIdentity in payload mode:
// App Service authentication ("Easy Auth") adds the signed-in user, a function
// key adds an identity of AuthenticationType "WebJobsAuthLevel", and an
// anonymous request carries one unauthenticated identity.
type ClaimsIdentity struct {
	// AuthenticationType names how the identity was verified ("aad",
	// "WebJobsAuthLevel", ...); empty for an anonymous identity.
	AuthenticationType string
	// IsAuthenticated reports whether the identity was verified.
	IsAuthenticated bool
	// Name is the identity's name, if it has one.
	Name string
	// Label is the identity's label, if any.
	Label string
	// NameClaimType is the claim type that holds the name.
	NameClaimType string
	// RoleClaimType is the claim type that holds roles.
	RoleClaimType string
	// Claims are the identity's claims in order.
	Claims []Claim
}

// Claim is one claim of a [ClaimsIdentity].
type Claim struct {
	// Type is the claim type, often a URI such as
	// "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier".
	Type string
	// Value is the claim's value.
	Value string
	// ValueType is the claim value's type URI, if any.
	ValueType string
	// Issuer is who issued the claim.
	Issuer string
	// OriginalIssuer is who first issued the claim.
	OriginalIssuer string
}

// Value returns the value of the first claim of type typ, or "".
func (id *ClaimsIdentity) Value(typ string) string {
	for _, c := range id.Claims {
		if c.Type == typ {
			return c.Value
		}
	}
	return ""
}

type identitiesKey struct{}

// IdentitiesFrom returns the identities the host sent with the request being
// served (payload mode only; nil in proxy mode, where the host sends none).
func IdentitiesFrom(ctx context.Context) []ClaimsIdentity {
	if c, ok := ctx.Value(identitiesKey{}).(*identitiesCtx); ok {
		return c.ids
	}
	return nil
}

// Sources of the handler.Identity the adapter sets (Identity.Source), for
// jwtauth.WithTrustIdentity: SourceUser for a user signed in through App
// Service authentication, SourceFunctionKey for a caller that only
// presented a function key (?code= or x-functions-key), which names a key,
// not a person.
const (
	SourceUser        = "azure"
	SourceFunctionKey = "azure-function-key"
)

// Claim types the adapter reads to fill in a handler.Identity.
const (
	claimNameIdentifier = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
	claimObjectID       = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	claimScope          = "http://schemas.microsoft.com/identity/claims/scope"
	claimKeyID          = "http://schemas.microsoft.com/2017/07/functions/claims/keyid"
	claimRole           = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
	authLevelType       = "WebJobsAuthLevel"
)

// primaryIdentity maps the first authenticated user identity (or, failing
// that, the function-key identity) to a handler.Identity: Subject is the
// name identifier, object ID, "sub", key ID or name, in that order; Scopes
// are the scope claims split on spaces followed by the roles; Claims maps
// each claim type to its value, or to a list of values when repeated.
func primaryIdentity(ids []ClaimsIdentity) *handler.Identity {
	var pick *ClaimsIdentity
	for i := range ids {
		id := &ids[i]
		if !id.IsAuthenticated {
			continue
		}
		if id.AuthenticationType != authLevelType {
			pick = id
			break
		}
		if pick == nil {
			pick = id
		}
	}
	if pick == nil {
		return nil
	}
	out := &handler.Identity{Source: SourceUser, Claims: make(map[string]any, len(pick.Claims))}
	if pick.AuthenticationType == authLevelType {
		out.Source = SourceFunctionKey
	}
	for _, t := range []string{claimNameIdentifier, claimObjectID, "sub", claimKeyID} {
		if v := pick.Value(t); v != "" {
			out.Subject = v
			break
		}
	}
	if out.Subject == "" {
		out.Subject = pick.Name
	}
	roleType := pick.RoleClaimType
	if roleType == "" {
		roleType = claimRole
	}
	for _, c := range pick.Claims {
		switch c.Type {
		case "scp", claimScope:
			out.Scopes = append(out.Scopes, strings.Fields(c.Value)...)
		}
		switch prev := out.Claims[c.Type].(type) {
		case nil:
			out.Claims[c.Type] = c.Value
		case string:
			out.Claims[c.Type] = []any{prev, c.Value}
		case []any:
			out.Claims[c.Type] = append(prev, c.Value)
		}
	}
	for _, c := range pick.Claims {
		if c.Type == roleType || c.Type == "roles" {
			out.Scopes = append(out.Scopes, c.Value)
		}
	}
	return out
}

// decodeIdentities reads Data.req.Identities: a list of objects or, as
// older Functions hosts send it (JsonConvert.SerializeObject, like Query),
// that list's JSON in a string. They are appended to dst[:0], which must
// not be nil.
func decodeIdentities(s *jsonscan.Scanner, dst []ClaimsIdentity, st *payloadState) ([]ClaimsIdentity, error) {
	if s.Peek() != '"' {
		return decodeIdentityList(s, dst, st)
	}
	is, err := innerJSON(s, "Identities")
	if err != nil {
		return nil, err
	}
	switch is.Kind() {
	case jsonscan.End:
		return nil, nil
	case jsonscan.Array, jsonscan.Null:
	default:
		return nil, envelopeError("The invocation's Data.req.Identities must be a list of objects (or its JSON as a string), found a string holding "+found(&is)+".", nil)
	}
	ids, err := decodeIdentityList(&is, dst, st)
	if err != nil {
		return nil, err
	}
	if err := is.End(); err != nil {
		return nil, fieldError("Identities", err)
	}
	return ids, nil
}

// decodeIdentityList reads a list of identities (or null, giving nil),
// appending them to dst[:0], which must not be nil.
// Their strings are kept in st's arena.
func decodeIdentityList(s *jsonscan.Scanner, dst []ClaimsIdentity, st *payloadState) ([]ClaimsIdentity, error) {
	if isNull, err := s.Null(); err != nil || isNull {
		if err != nil {
			return nil, fieldError("Identities", err)
		}
		return nil, nil
	}
	it, ok := s.Open('[')
	if !ok {
		return nil, typeError("Identities", "a list of objects (or its JSON as a string)", s)
	}
	ids := dst[:0]
	for {
		more, err := s.More(&it)
		if err != nil {
			return nil, fieldError("Identities", err)
		}
		if !more {
			return ids, nil
		}
		var id ClaimsIdentity
		if err := decodeIdentity(s, &id, st); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
}

func decodeIdentity(s *jsonscan.Scanner, id *ClaimsIdentity, st *payloadState) error {
	it, ok := s.Open('{')
	if !ok {
		return typeError("Identities[]", "an object", s)
	}
	for {
		more, err := s.More(&it)
		if err != nil {
			return fieldError("Identities", err)
		}
		if !more {
			return nil
		}
		k, err := s.Key()
		if err != nil {
			return fieldError("Identities", err)
		}
		var dst *string
		switch key := k; {
		case equalFoldASCII(key, "AuthenticationType"):
			dst = &id.AuthenticationType
		case equalFoldASCII(key, "Name"):
			dst = &id.Name
		case equalFoldASCII(key, "Label"):
			dst = &id.Label
		case equalFoldASCII(key, "NameClaimType"):
			dst = &id.NameClaimType
		case equalFoldASCII(key, "RoleClaimType"):
			dst = &id.RoleClaimType
		case equalFoldASCII(key, "IsAuthenticated"):
			if id.IsAuthenticated, err = s.Bool(); err != nil {
				return typeError("Identities[].IsAuthenticated", "a boolean", s)
			}
			continue
		case equalFoldASCII(key, "Claims"):
			if id.Claims, err = decodeClaims(s, st); err != nil {
				return err
			}
			continue
		default:
			if err := s.Skip(); err != nil {
				return fieldError("Identities", err)
			}
			continue
		}
		if *dst, err = optString(s); err != nil {
			return typeErr("Identities[]."+k, "a string", s, err)
		}
		*dst = st.keep(*dst)
	}
}

func decodeClaims(s *jsonscan.Scanner, st *payloadState) ([]Claim, error) {
	if isNull, err := s.Null(); err != nil || isNull {
		if err != nil {
			return nil, fieldError("Identities[].Claims", err)
		}
		return nil, nil
	}
	it, ok := s.Open('[')
	if !ok {
		return nil, typeError("Identities[].Claims", "a list of objects", s)
	}
	var claims []Claim
	for {
		more, err := s.More(&it)
		if err != nil {
			return nil, fieldError("Identities[].Claims", err)
		}
		if !more {
			return claims, nil
		}
		cit, ok := s.Open('{')
		if !ok {
			return nil, typeError("Identities[].Claims[]", "an object", s)
		}
		var c Claim
		for {
			more, err := s.More(&cit)
			if err != nil {
				return nil, fieldError("Identities[].Claims", err)
			}
			if !more {
				break
			}
			k, err := s.Key()
			if err != nil {
				return nil, fieldError("Identities[].Claims", err)
			}
			var dst *string
			switch key := k; {
			case equalFoldASCII(key, "Type"):
				dst = &c.Type
			case equalFoldASCII(key, "Value"):
				dst = &c.Value
			case equalFoldASCII(key, "ValueType"):
				dst = &c.ValueType
			case equalFoldASCII(key, "Issuer"):
				dst = &c.Issuer
			case equalFoldASCII(key, "OriginalIssuer"):
				dst = &c.OriginalIssuer
			default:
				if err := s.Skip(); err != nil {
					return nil, fieldError("Identities[].Claims", err)
				}
				continue
			}
			if *dst, err = optString(s); err != nil {
				return nil, typeErr("Identities[].Claims[]."+k, "a string", s, err)
			}
			*dst = st.keep(*dst)
		}
		claims = append(claims, c)
	}
}
