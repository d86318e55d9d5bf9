package storetest

import "testing"

func TestKnownName(t *testing.T) {
	for name, want := range map[string]bool{
		"Atomic":                     true,
		"Atomic/RollbackOnCondition": true,
		"Paging/Changes":             true,
		"TTL":                        true,
		"Atomic/Nope":                false,
		"Nope":                       false,
		"":                           false,
		"RoundTrip/x":                false,
	} {
		if got := knownName(name); got != want {
			t.Errorf("knownName(%q) = %v; want %v", name, got, want)
		}
	}
	seen := map[string]bool{}
	for _, tc := range suite {
		if seen[tc.name] {
			t.Errorf("subtest %q defined twice", tc.name)
		}
		seen[tc.name] = true
	}
}
