package store

import (
	"time"

	"privaq"
)

// SetCacheClock makes the node caches (nodecache.go) age by now, so a test
// can pass peerDelay without sleeping.
func (db *DB) SetCacheClock(now func() time.Time) {
	db.tokens.now, db.orgs.now, db.revisions.now = now, now, now
}

// PeerDelay is how long another node's change may take to be seen.
const PeerDelay = peerDelay

// LoadDecisionIndex starts loading the organization's decision index in
// memory (stateindex.go) and waits for the load to end, at most 10 s; it
// tells whether the index is in memory.
func (db *DB) LoadDecisionIndex(org privaq.OrgID) bool {
	db.index.startLoad(org)
	db.index.mu.RLock()
	o := db.index.orgs[org]
	ready := o.ready
	db.index.mu.RUnlock()
	if ready != nil {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
		}
	}
	db.index.mu.RLock()
	defer db.index.mu.RUnlock()
	return o.m != nil
}
