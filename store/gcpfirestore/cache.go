package gcpfirestore

import (
	"container/list"
	"sync"

	pb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"google.golang.org/protobuf/proto"
)

// DefaultCacheSize is the default budget, in bytes, of the cache of
// recently read and written documents; see WithCacheSize.
const DefaultCacheSize = 4 << 20

// docCache remembers recently read and written documents by name, in their
// wire form, so that an Update (or an IfExists write) of a document the
// process has just seen can be planned without reading it again. It is
// only ever a guess: a write planned from it carries a precondition on the
// cached update_time, so a stale entry costs a failed commit and a read,
// never a wrong write. Documents are never changed once cached.
type docCache struct {
	mu     sync.Mutex
	budget int
	used   int
	lru    *list.List // of *cacheEntry, most recent first
	byName map[string]*list.Element
}

type cacheEntry struct {
	doc  *pb.Document
	size int
}

func newDocCache(budget int) *docCache {
	if budget <= 0 {
		return nil
	}
	return &docCache{budget: budget, lru: list.New(), byName: make(map[string]*list.Element)}
}

// get returns the cached document called name, or nil.
func (c *docCache) get(name string) *pb.Document {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byName[name]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(e)
	return e.Value.(*cacheEntry).doc
}

// put caches doc, which must have its name and update_time and must not
// change afterwards. Documents larger than an eighth of the budget are not
// cached.
func (c *docCache) put(doc *pb.Document) {
	if c == nil || doc.GetUpdateTime() == nil {
		return
	}
	size := proto.Size(doc)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(doc.GetName())
	if size > c.budget/8 {
		return
	}
	c.byName[doc.GetName()] = c.lru.PushFront(&cacheEntry{doc: doc, size: size})
	c.used += size
	for c.used > c.budget {
		c.removeLocked(c.lru.Back().Value.(*cacheEntry).doc.GetName())
	}
}

// drop forgets the document called name.
func (c *docCache) drop(name string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(name)
}

func (c *docCache) removeLocked(name string) {
	if e, ok := c.byName[name]; ok {
		c.used -= e.Value.(*cacheEntry).size
		c.lru.Remove(e)
		delete(c.byName, name)
	}
}
