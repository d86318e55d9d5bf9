// Package bench holds anyfunc's comparative benchmarks: each adapter
// against a hand-written handler on the platform's own SDK and against the
// popular net/http bridge for that platform, all doing the same work on the
// same input.
//
// It is a separate module (with a replace directive pointing at the
// repository root) so that the library's go.mod gains none of the
// competitors' dependencies. Run it from this directory:
//
//	go test -run '^$' -bench . -count 6 -benchmem > new.txt && benchstat new.txt
package bench
