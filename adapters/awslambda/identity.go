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
	if jwt, ok := e.authorizer["jwt"].(map[string]any); ok {
		claims, _ := jwt["claims"].(map[string]any)
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
	// authorizer's principalId and context, or the IAM caller.
	if claims, ok := e.authorizer["claims"].(map[string]any); ok {
		id := &handler.Identity{Source: SourceJWT, Claims: claims, Scopes: scopeClaim(claims)}
		id.Subject, _ = claims["sub"].(string)
		return id
	}
	if len(e.authorizer) > 0 {
		return &handler.Identity{Source: SourceLambdaAuthorizer, Subject: subjectOf(e.authorizer), Claims: e.authorizer}
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
