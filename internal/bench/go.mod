module github.com/anyfunc/anyfunc/internal/bench

go 1.26.8

replace github.com/anyfunc/anyfunc => ../..

require (
	github.com/anyfunc/anyfunc v0.0.0-00010101000000-000000000000
	github.com/aws/aws-lambda-go v1.55.1
	github.com/awslabs/aws-lambda-go-api-proxy v0.16.2
)
