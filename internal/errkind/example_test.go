package errkind_test

import (
	"errors"
	"fmt"

	"github.com/anyfunc/anyfunc/internal/errkind"
)

func Example() {
	conflict := errkind.New("store", "conflict", nil)
	exists := errkind.New("store", "already exists", conflict)
	fmt.Println(errors.Is(exists, conflict), errors.Is(conflict, exists))
	fmt.Println(errkind.Message("store", "put", exists, "", errors.New("native")))
	fmt.Println(errkind.BatchMessage("store", "writes", []error{nil, exists, exists}))
	// Output:
	// true false
	// store: put: already exists: native
	// store: 2 of 3 writes failed; first at 1: store: already exists
}
