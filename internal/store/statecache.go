package store

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"privaq"
	"privaq/internal/consent"
)

// stateCache keeps recent single decisions in memory. It stays exact:
// a commit on this node drops the pairs it changed before the write is
// acknowledged, a commit on another node drops them when its
// notification arrives, and while notifications may be missed (the
// listening connection is down) nothing is cached. Each organization has
// a generation, bumped by every invalidation: a read that began before an
// invalidation does not store its (possibly older) answer.
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

// setEnabled turns caching on or off; either way it forgets everything,
// since notifications may have been missed.
func (c *stateCache) setEnabled(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enabled = on
	for _, o := range c.orgs {
		o.gen++
		o.m = map[string]cachedState{}
	}
}

// ListenConsents follows the other nodes' ledger commits on PostgreSQL
// until ctx ends, reconnecting after a failure; the decision cache is off
// whenever the listening connection is down. On SQLite, where one node
// serves, it returns at once.
func (db *DB) ListenConsents(ctx context.Context, onError func(error)) {
	if db.dialect != enginePostgres {
		return
	}
	for ctx.Err() == nil {
		err := db.listenOnce(ctx)
		db.states.setEnabled(false)
		if ctx.Err() != nil {
			return
		}
		onError(err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+ConsentChannel); err != nil {
		return err
	}
	db.states.setEnabled(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		db.states.invalidate(n.Payload)
	}
}
