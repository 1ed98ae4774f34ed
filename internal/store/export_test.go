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

// DecisionIndexLoaded tells whether the organization's decision index is
// in memory (SQLite, stateindex.go).
func (db *DB) DecisionIndexLoaded(org privaq.OrgID) bool {
	if db.index == nil {
		return false
	}
	db.index.mu.RLock()
	defer db.index.mu.RUnlock()
	o := db.index.orgs[org]
	return o != nil && o.m != nil
}
