package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"privaq"
	"privaq/internal/consent"
)

// stateIndex holds, on SQLite, each organization's decision index (the
// latest record of each person and purpose) in memory, so that a decision
// is a map lookup rather than a query. SQLite has one process writing,
// this one: every commit applies its new entries here before it is
// acknowledged, so no answer is ever stale. PostgreSQL, where other nodes
// write, keeps the index in its consent_state table and reads it every
// time (statereads.go).
//
// An organization's entries are built from its ledger on its first
// decision, in the background; until they are, decisions are read from
// the ledger through its subject index. Commits that land during the load
// are kept aside and applied after it: an entry replaces another only if
// its record is later (higher seq), so the order does not matter.
//
// Memory: about 130 bytes per (person, purpose) pair; an organization
// with more than maxIndexedPairs keeps reading the table.
type stateIndex struct {
	db   *DB
	mu   sync.RWMutex
	orgs map[privaq.OrgID]*orgIndex
}

type orgIndex struct {
	m       map[pairKey]stateEntry // nil until loaded
	loading bool
	pending []stateUpdate // commits during the load
	retry   time.Time     // after a failed or refused load, when to try again
}

type pairKey struct {
	idx     [32]byte // the subject's blind index, an HMAC-SHA256
	purpose string
}

// stateEntry is a consent.State in a third of the memory.
type stateEntry struct {
	seq      int64
	id       uuid.UUID
	decision consent.Decision
	version  int32
	expires  int64 // microseconds since 1970, 0 if none
	recorded int64
}

type stateUpdate struct {
	key   pairKey
	entry stateEntry
}

// maxIndexedPairs bounds one organization's entries in memory.
const maxIndexedPairs = 5_000_000

// loadRetry is how long after a failed or refused load the next is tried.
const loadRetry = time.Minute

func newStateIndex(db *DB) *stateIndex {
	return &stateIndex{db: db, orgs: map[privaq.OrgID]*orgIndex{}}
}

// get answers one pair from memory; loaded is false when the
// organization's entries are not in memory (yet), and the table must be
// read.
func (x *stateIndex) get(org privaq.OrgID, idx []byte, purpose string) (s consent.State, ok, loaded bool) {
	key, valid := keyOf(idx, purpose)
	x.mu.RLock()
	o := x.orgs[org]
	if o == nil || o.m == nil || !valid {
		x.mu.RUnlock()
		if valid {
			x.startLoad(org)
		}
		return s, false, false
	}
	e, ok := o.m[key]
	x.mu.RUnlock()
	if ok {
		s = e.state()
	}
	return s, ok, true
}

// lookup answers many pairs from memory, calling found for each one that
// has an entry; loaded is false when the table must be read instead. The
// lock is taken a chunk at a time, so that a large question does not hold
// up the commits (and, behind them, the other readers).
func (x *stateIndex) lookup(org privaq.OrgID, idxs [][]byte, pairs []consent.Pair, found func(i int, s consent.State)) (loaded bool) {
	const chunk = 4096
	for start := 0; start < len(pairs); start += chunk {
		x.mu.RLock()
		o := x.orgs[org]
		if o == nil || o.m == nil {
			x.mu.RUnlock()
			if start > 0 {
				// Dropped meanwhile (grown past its bound): the
				// table answers all of it, for one snapshot.
				return false
			}
			x.startLoad(org)
			return false
		}
		for i := start; i < min(len(pairs), start+chunk); i++ {
			if key, valid := keyOf(idxs[i], pairs[i].Purpose); valid {
				if e, ok := o.m[key]; ok {
					found(i, e.state())
				}
			}
		}
		x.mu.RUnlock()
	}
	return true
}

// apply records what a commit wrote, before it is acknowledged.
func (x *stateIndex) apply(org privaq.OrgID, ups []stateUpdate) {
	x.mu.Lock()
	defer x.mu.Unlock()
	o := x.orgs[org]
	switch {
	case o == nil:
	case o.m != nil:
		o.merge(ups)
		if len(o.m) > maxIndexedPairs {
			o.m, o.retry = nil, time.Now().Add(loadRetry)
		}
	case o.loading:
		o.pending = append(o.pending, ups...)
	}
}

func (o *orgIndex) merge(ups []stateUpdate) {
	for _, u := range ups {
		if old, ok := o.m[u.key]; !ok || u.entry.seq > old.seq {
			o.m[u.key] = u.entry
		}
	}
}

// startLoad loads an organization's entries in the background, unless
// that is under way, done, or refused for now.
func (x *stateIndex) startLoad(org privaq.OrgID) {
	x.mu.Lock()
	o := x.orgs[org]
	if o == nil {
		o = &orgIndex{}
		x.orgs[org] = o
	}
	if o.m != nil || o.loading || time.Now().Before(o.retry) {
		x.mu.Unlock()
		return
	}
	// Marked before the table is read: a commit applied from now on is
	// kept in pending, one applied before is in what the read sees.
	o.loading = true
	x.mu.Unlock()
	go func() {
		m, err := x.read(context.Background(), org)
		x.mu.Lock()
		defer x.mu.Unlock()
		o.loading = false
		if err != nil {
			o.pending, o.retry = nil, time.Now().Add(loadRetry)
			if !errors.Is(err, errTooManyPairs) {
				slog.Default().Warn("decision_index_load_failed", "org", int64(org), "err", err)
			}
			return
		}
		o.m = m
		o.merge(o.pending)
		o.pending = nil
	}()
}

var errTooManyPairs = errors.New("more pairs than the index keeps in memory")

// read builds an organization's entries from its ledger, in seq order:
// the last record of each pair is its state.
func (x *stateIndex) read(ctx context.Context, org privaq.OrgID) (map[pairKey]stateEntry, error) {
	rows, err := x.db.r.QueryContext(ctx, `SELECT `+stateColumns+` FROM consent_records WHERE org_id = $1 ORDER BY seq`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[pairKey]stateEntry{}
	purposes := map[string]string{} // one copy of each purpose's name
	for rows.Next() {
		idx, purpose, s, err := scanState(rows)
		if err != nil {
			return nil, err
		}
		if p, ok := purposes[purpose]; ok {
			purpose = p
		} else {
			purposes[purpose] = purpose
		}
		key, valid := keyOf(idx, purpose)
		e, err := entryOf(s)
		if !valid || err != nil {
			return nil, errors.New("a consent record has an unexpected subject index or id")
		}
		m[key] = e
		if len(m) > maxIndexedPairs {
			return nil, errTooManyPairs
		}
	}
	return m, rows.Err()
}

func keyOf(idx []byte, purpose string) (k pairKey, ok bool) {
	if len(idx) != len(k.idx) {
		return k, false
	}
	copy(k.idx[:], idx)
	k.purpose = purpose
	return k, true
}

func entryOf(s consent.State) (stateEntry, error) {
	id, err := uuid.Parse(s.ID)
	e := stateEntry{seq: s.Seq, id: id, decision: s.Decision, version: int32(s.PolicyVersion), recorded: micros(s.RecordedAt)}
	if s.ExpiresAt != nil {
		e.expires = micros(*s.ExpiresAt)
	}
	return e, err
}

func (e stateEntry) state() consent.State {
	s := consent.State{Seq: e.seq, ID: e.id.String(), Decision: e.decision, PolicyVersion: int(e.version), RecordedAt: fromMicros(e.recorded)}
	if e.expires != 0 {
		s.ExpiresAt = nullMicros(sql.NullInt64{Int64: e.expires, Valid: true})
	}
	return s
}
