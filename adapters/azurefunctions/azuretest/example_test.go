package azuretest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
)

// A test builds its custom handler binary, starts it behind the simulated
// host in the mode under test, and sends requests as a client of the
// function app would.
func ExampleStart() {
	h, err := azuretest.Start(azuretest.Config{
		Binary:          "/path/to/built/handler",
		Mode:            azuretest.Payload,
		FunctionTimeout: "00:00:30",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	client := &http.Client{Transport: h}
	resp, err := client.Get("http://myapp.azurewebsites.net/api/todos?limit=10")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), h.Logs())
}
