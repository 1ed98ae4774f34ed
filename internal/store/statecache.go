package store

import (
	"encoding/hex"
	"strconv"
	"strings"
	"sync"

	"privaq"
	"privaq/internal/consent"
)

// stateCache keeps recent single decisions in memory, on SQLite only,
// where this node is the only writer: a commit drops the pairs it changed
// before the write is acknowledged, so no answer is ever stale. Each
// organization has a generation, bumped by every invalidation: a read
// that began before an invalidation does not store its (possibly older)
// answer.
//
// On PostgreSQL, where other nodes write, decisions are read from the
// index every time, the ones asked together in one query (statereads.go). A cache invalidated by LISTEN/NOTIFY was tried: the
// notification reached the other node about 20 ms after the withdrawal
// was acknowledged, and during that window it answered "granted" — not
// acceptable for a withdrawal, which takes effect at once (P 9.1, 14).
type stateCache struct {
	mu      sync.RWMutex
	orgs    map[privaq.OrgID]*orgStates
	enabled bool
}

type orgStates struct {
	gen uint64
	m   map[string]cachedState
}

type cachedState struct {
	state consent.State
	ok    bool
}

// maxCachedPerOrg bounds memory: past it, the organization's entries are
// dropped and the cache fills again with what is asked.
const maxCachedPerOrg = 100_000

func newStateCache(enabled bool) *stateCache {
	return &stateCache{orgs: map[privaq.OrgID]*orgStates{}, enabled: enabled}
}

func (c *stateCache) get(org privaq.OrgID, key string) (cachedState, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if o := c.orgs[org]; o != nil {
		v, ok := o.m[key]
		return v, ok
	}
	return cachedState{}, false
}

func (c *stateCache) generation(org privaq.OrgID) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if o := c.orgs[org]; o != nil {
		return o.gen
	}
	return 0
}

func (c *stateCache) put(org privaq.OrgID, key string, v cachedState, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enabled {
		return
	}
	o := c.orgs[org]
	if o == nil {
		o = &orgStates{m: map[string]cachedState{}}
		c.orgs[org] = o
	}
	if o.gen != gen {
		return
	}
	if len(o.m) >= maxCachedPerOrg {
		o.m = map[string]cachedState{}
	}
	o.m[key] = v
}

// invalidate applies a commit notice: "org" drops the organization's
// entries, "org idx:purpose …" only those pairs.
func (c *stateCache) invalidate(notice string) {
	fields := strings.Fields(notice)
	if len(fields) == 0 {
		return
	}
	id, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return
	}
	org := privaq.OrgID(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[org]
	if o == nil {
		o = &orgStates{m: map[string]cachedState{}}
		c.orgs[org] = o
	}
	o.gen++
	if len(fields) == 1 {
		o.m = map[string]cachedState{}
		return
	}
	for _, f := range fields[1:] {
		h, purpose, ok := strings.Cut(f, ":")
		idx, err := hex.DecodeString(h)
		if !ok || err != nil {
			o.m = map[string]cachedState{}
			return
		}
		delete(o.m, stateKey(idx, purpose))
	}
}
