package jsonscan_test

import (
	"fmt"

	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// Read the members of an object that matter and skip the rest.
func Example() {
	s := jsonscan.New(`{"name":"caf\u00e9","tags":[1,{"x":null}],"ok":true}`)
	it, _ := s.Open('{')
	for {
		key, more, err := s.NextKey(&it)
		if err != nil {
			fmt.Println(err)
			return
		}
		if !more {
			break
		}
		switch key {
		case "name":
			name, err := s.Str()
			fmt.Println(name, err)
		case "ok":
			ok, err := s.Bool()
			fmt.Println(ok, err)
		default:
			fmt.Println("skipped", key, s.Kind(), s.Skip())
		}
	}
	fmt.Printf("%s\n", jsonscan.AppendString(nil, "say \"hi\"\n"))
	// Output:
	// café <nil>
	// skipped tags array <nil>
	// true <nil>
	// "say \"hi\"\n"
}
