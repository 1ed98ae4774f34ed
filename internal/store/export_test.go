package store

import "time"

// SetCacheClock makes the node caches (nodecache.go) age by now, so a test
// can pass peerDelay without sleeping.
func (db *DB) SetCacheClock(now func() time.Time) {
	db.tokens.now, db.orgs.now, db.revisions.now = now, now, now
}

// PeerDelay is how long another node's change may take to be seen.
const PeerDelay = peerDelay
