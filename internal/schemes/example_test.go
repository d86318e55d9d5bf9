package schemes_test

import (
	"fmt"
	"net/url"

	"github.com/anyfunc/anyfunc/internal/schemes"
)

func Example() {
	var r schemes.Registry[string]
	r.Register("demo", "mem", "memory opener", false)
	r.Register("demo", "s3", "s3 opener", false)
	o, ok := r.Lookup("mem")
	fmt.Println(o, ok, r.Schemes())
	func() {
		defer func() { fmt.Println(recover()) }()
		r.Register("demo", "mem", "again", false)
	}()
	u, _ := url.Parse("mem://user:secret@host/jobs?token=t#f")
	fmt.Println(schemes.Valid("Mem"), schemes.Redact(u))
	// Output:
	// memory opener true [mem s3]
	// demo: Register: scheme "mem" registered twice
	// false mem://user:xxxxx@host/jobs
}
