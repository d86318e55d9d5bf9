package driver_test

import (
	"fmt"

	"github.com/anyfunc/anyfunc/queue/driver"
)

// A backend whose messages have no attributes carries them in an
// envelope; a message without attributes stays its body.
func ExampleEncodeEnvelope() {
	plain := driver.EncodeEnvelope([]byte("hello"), nil)
	wrapped := driver.EncodeEnvelope([]byte("hello"), map[string]string{"lang": "en"})
	fmt.Println(string(plain))
	fmt.Println(string(wrapped))
	body, attrs := driver.DecodeEnvelope(wrapped)
	fmt.Println(string(body), attrs)
	fmt.Println(driver.Base64EnvelopeSize([]byte("hello"), nil))
	// Output:
	// hello
	// {"anyfunc.envelope":1,"attributes":{"lang":"en"},"body":"aGVsbG8="}
	// hello map[lang:en]
	// 8
}
