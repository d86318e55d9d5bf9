package lambdatest_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
)

func ExampleResponse() {
	req := httptest.NewRequest("GET", "http://example.com/x", nil)
	resp, err := lambdatest.Response(lambdatest.V2, req,
		[]byte(`{"statusCode":201,"headers":{"Content-Type":"text/plain"},"cookies":["a=1"],"body":"aGk=","isBase64Encoded":true}`))
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 8)
	n, _ := resp.Body.Read(buf)
	fmt.Println(resp.StatusCode, resp.Header.Get("Set-Cookie"), string(buf[:n]))
	// Output: 201 a=1 hi
}
