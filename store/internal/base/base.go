// Package base holds what package store and package store/driver share
// without either exposing it: the settings of the portable Store, which
// applications set with store's options and store/driver reads, and the
// deep copy of item data.
package base

import "time"

// Options are the settings of the portable Store.
type Options struct {
	Now          func() time.Time
	CursorSecret []byte
	Attempts     int
	InitialDelay time.Duration
	MaxDelay     time.Duration
}

// CloneData returns a deep copy of normalised item data.
func CloneData(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = CloneValue(v)
	}
	return out
}

// CloneValue returns a deep copy of a normalised value.
func CloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return CloneData(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = CloneValue(e)
		}
		return out
	}
	return v
}
