package store

import (
	"time"

	"github.com/anyfunc/anyfunc/store/internal/base"
)

// Non-integral numbers must lie within DynamoDB's range: a magnitude of at
// least MinFloat and below MaxFloat (or be integral and fit int64).
// Others are ErrInvalidArgument.
const (
	MaxFloat = 1e126
	MinFloat = 1e-130
)

// MaxAtomicSize is the largest total size of the items and keys one Atomic
// call may write (Cosmos DB's 2 MB transactional batch); a larger call fails
// with ErrTooLarge.
const MaxAtomicSize = 2 * 1024 * 1024

// Expired reports whether the item has an expiry time and it is not after
// now.
func (it *Item) Expired(now time.Time) bool {
	return !it.ExpiresAt.IsZero() && !now.Before(it.ExpiresAt)
}

// Clone returns a deep copy of the item.
func (it *Item) Clone() *Item {
	c := *it
	c.Data = base.CloneData(it.Data)
	return &c
}
