package awslambda

import (
	"strings"

	"github.com/anyfunc/anyfunc/handler"
)

// Identity sources set by this adapter, in handler.Identity.Source.
const (
	// SourceJWT is a caller verified by an API Gateway JWT authorizer (HTTP
	// API) or a Cognito user pool authorizer (REST API); Claims are the
	// token's claims.
	SourceJWT = "aws-jwt"
	// SourceLambdaAuthorizer is a caller verified by a Lambda authorizer;
	// Claims are the context the authorizer returned (REST API: with
	// "principalId").
	SourceLambdaAuthorizer = "aws-lambda-authorizer"
	// SourceIAM is a caller verified by IAM (SigV4) authorization; Subject
	// is the caller's ARN and Claims the identity fields API Gateway or the
	// Function URL reported (userArn, accessKey, accountId, ...).
	SourceIAM = "aws-iam"
)

// identity returns the caller the platform verified, taken only from the
// event's requestContext, never from a header.
func (e *rawEvent) identity(shape eventShape) *handler.Identity {
	if shape != shapeV1 && shape != shapeV2 && shape != shapeFunctionURL {
		return nil // an ALB reports no verified caller in the event
	}
	// Payload 2.0 nests the authorizer's result under jwt, lambda or iam
	// (HTTP APIs use jwt for payload 1.0 too). A REST API's Lambda
	// authorizer context holds only strings, numbers and booleans, so an
	// object under one of these names cannot come from it.
	//
	// A null member is absent: API Gateway reports a route without an
	// authorizer with placeholders such as {"claims":null,"scopes":null},
	// which must not read as a verified caller.
	if jwt, ok := e.authorizer["jwt"].(map[string]any); ok {
		claims, _ := jwt["claims"].(map[string]any)
		if len(claims) == 0 {
			return nil // no token was verified
		}
		id := &handler.Identity{Source: SourceJWT, Claims: claims}
		id.Subject, _ = claims["sub"].(string)
		if scopes, ok := jwt["scopes"].([]any); ok {
			for _, s := range scopes {
				if s, ok := s.(string); ok {
					id.Scopes = append(id.Scopes, s)
				}
			}
		}
		if id.Scopes == nil {
			id.Scopes = scopeClaim(claims)
		}
		return id
	}
	if l, ok := e.authorizer["lambda"].(map[string]any); ok {
		if l = withoutNulls(l); len(l) == 0 {
			return nil // no context: nothing says who the caller is
		}
		return &handler.Identity{Source: SourceLambdaAuthorizer, Subject: subjectOf(l), Claims: l}
	}
	if iam, ok := e.authorizer["iam"].(map[string]any); ok {
		arn, _ := iam["userArn"].(string)
		key, _ := iam["accessKey"].(string)
		if arn == "" && key == "" {
			return nil // a Function URL with auth type NONE reports an empty iam
		}
		return &handler.Identity{Source: SourceIAM, Subject: arn, Claims: iam}
	}
	if shape != shapeV1 {
		return nil
	}
	// REST API: a Cognito user pool authorizer's claims, a Lambda
	// authorizer's principalId and context, or the IAM caller. A route
	// without an authorizer may carry {"claims":null,"scopes":null}: null
	// members are absent, and a Lambda authorizer counts only by a
	// non-empty principalId (which REST API Lambda authorizers always
	// return) or a non-null context value.
	auth := withoutNulls(e.authorizer)
	if claims, ok := auth["claims"].(map[string]any); ok && len(claims) > 0 {
		id := &handler.Identity{Source: SourceJWT, Claims: claims, Scopes: scopeClaim(claims)}
		id.Subject, _ = claims["sub"].(string)
		return id
	}
	if isLambdaAuthorizer(auth) {
		return &handler.Identity{Source: SourceLambdaAuthorizer, Subject: subjectOf(auth), Claims: auth}
	}
	if arn, _ := e.v1Identity["userArn"].(string); arn != "" {
		return &handler.Identity{Source: SourceIAM, Subject: arn, Claims: e.v1Identity}
	}
	if key, _ := e.v1Identity["accessKey"].(string); key != "" {
		caller, _ := e.v1Identity["caller"].(string)
		return &handler.Identity{Source: SourceIAM, Subject: caller, Claims: e.v1Identity}
	}
	return nil
}

// withoutNulls returns m without its null members (m itself when it has
// none).
func withoutNulls(m map[string]any) map[string]any {
	n := 0
	for _, v := range m {
		if v == nil {
			n++
		}
	}
	if n == 0 {
		return m
	}
	out := make(map[string]any, len(m)-n)
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// isLambdaAuthorizer reports whether a REST API authorizer object (null
// members removed) is a Lambda authorizer's result: a non-empty principalId
// or some context value besides it. An empty claims object is a Cognito
// placeholder, not context.
func isLambdaAuthorizer(auth map[string]any) bool {
	if p, _ := auth["principalId"].(string); p != "" {
		return true
	}
	for k, v := range auth {
		switch k {
		case "principalId":
			continue
		case "claims", "scopes":
			if m, ok := v.(map[string]any); ok && len(m) == 0 {
				continue
			}
			if a, ok := v.([]any); ok && len(a) == 0 {
				continue
			}
		}
		return true
	}
	return false
}

// subjectOf picks the subject of a Lambda authorizer's context.
func subjectOf(m map[string]any) string {
	for _, k := range []string{"principalId", "sub", "userId"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// scopeClaim splits a "scope" claim (space separated, RFC 8693) into scopes.
func scopeClaim(claims map[string]any) []string {
	s, _ := claims["scope"].(string)
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}
