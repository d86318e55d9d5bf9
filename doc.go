// Package anyfunc lets one provider-neutral Go handler run unchanged as an
// AWS Lambda function, a Google Cloud Function, an Azure Function (custom
// handler) or a plain net/http server, with its data in DynamoDB,
// Firestore, Cosmos DB, or in memory for tests and local runs.
//
// This package holds only documentation; the code lives in its
// subpackages:
//
//   - handler: Request, Response, Handler, the Router (Go 1.22 ServeMux
//     patterns), middleware chaining, the problem+json error mapping, JSON
//     helpers, and the net/http bridge (handler.HTTP, handler.FromHTTP).
//   - handler/middleware: authentication, CORS, rate limits, timeouts and
//     more, as func(Handler) Handler.
//   - handler/handlertest: a test kit in the spirit of net/http/httptest.
//   - adapters/httpserver, adapters/awslambda, adapters/gcpfunctions,
//     adapters/azurefunctions: run a Handler on each platform; every one
//     passes the same table of HTTP cases, adapters/adaptertest.
//   - store and its backends (store/memstore, store/awsdynamodb,
//     store/gcpfirestore, store/azurecosmos): one document store contract,
//     proven by one conformance suite, store/storetest.
//   - queue and its backends (queue/memqueue, queue/awssqs, queue/gcppubsub,
//     queue/azurequeue): one portable queue to send batches and pull,
//     ack and nack messages with the strictest limits of SQS, Pub/Sub and
//     Azure Storage queues, proven by one conformance suite,
//     queue/queuetest, on each service's emulator.
//
// # Quick start
//
// Write the handler once:
//
//	r := handler.NewRouter()
//	r.Handle("GET /hello/{name}", handler.JSONOut(
//		func(ctx context.Context, req *handler.Request) (map[string]string, error) {
//			return map[string]string{"hello": req.PathValue("name")}, nil
//		}))
//
// and pick where it runs in main: httpserver.Start(r) for a local run, a
// container, Cloud Run or Kubernetes (it listens on PORT, default 8080, and
// drains on SIGTERM); awslambda.Start(r) for Lambda; the gcpfunctions and
// azurefunctions adapters for Cloud Functions and Azure Functions. Test it
// without any of them with handlertest.
//
// A returned error becomes an application/problem+json answer (RFC 9457)
// carrying the request ID; a handler.Error chooses the status and the
// public message, store errors map to 404/409/412/429/503, and anything
// else is a 500 whose body never shows the internal error text.
package anyfunc
