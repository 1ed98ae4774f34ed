package store

import (
	"sync"
	"time"
)

// peerDelay is how long a change made by another node (or another
// process on the same SQLite file, such as the CLI) may take to be seen
// by this one through the lookups every API request makes: the token, the
// organization, and the revisions consents are validated against. Changes
// made through this node are seen at once: the store drops its cached
// copies when it commits them. Without these caches each API call began
// with three queries before doing its work, more than the work itself
// for a decision.
const peerDelay = time.Second

// nodeCache keeps recent lookups for peerDelay. Every invalidation bumps a
// generation, and a lookup that began before it does not store its
// (possibly older) answer.
type nodeCache[K comparable, V any] struct {
	mu  sync.Mutex
	gen uint64
	m   map[K]nodeEntry[V]
	now func() time.Time
}

type nodeEntry[V any] struct {
	v  V
	at time.Time
}

// nodeCacheMax bounds memory; past it the cache starts again empty. Keys
// are organizations and API tokens, whose numbers stay far below it.
const nodeCacheMax = 10_000

func newNodeCache[K comparable, V any](now func() time.Time) *nodeCache[K, V] {
	return &nodeCache[K, V]{m: map[K]nodeEntry[V]{}, now: now}
}

// get returns a fresh cached value, or the generation to pass to put.
func (c *nodeCache[K, V]) get(k K) (v V, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if ok && c.now().Sub(e.at) < peerDelay {
		return e.v, c.gen, true
	}
	return v, c.gen, false
}

// put stores what a lookup read, unless an invalidation came since it began.
func (c *nodeCache[K, V]) put(k K, v V, gen uint64, readAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= nodeCacheMax {
		c.m = map[K]nodeEntry[V]{}
	}
	c.m[k] = nodeEntry[V]{v: v, at: readAt}
}

// update changes a cached value in place, keeping its age.
func (c *nodeCache[K, V]) update(k K, fn func(*V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		fn(&e.v)
		c.m[k] = e
	}
}

// clear drops everything; writes that call it are rare (an inventory
// saved, a policy published, a token revoked).
func (c *nodeCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// lookup answers from the cache or from read, caching what read returns
// without error.
func (c *nodeCache[K, V]) lookup(k K, read func() (V, error)) (V, error) {
	v, gen, ok := c.get(k)
	if ok {
		return v, nil
	}
	at := c.now()
	v, err := read()
	if err == nil {
		c.put(k, v, gen, at)
	}
	return v, err
}
