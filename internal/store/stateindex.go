package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"privaq"
	"privaq/internal/consent"
)

// stateIndex holds each organization's decision index (the latest record
// of each person and purpose) in memory, so that a decision is a map
// lookup rather than a query. SQLite has one process writing, this one:
// every commit applies its new entries here before it is acknowledged, so
// no answer is ever stale. On PostgreSQL, where other nodes write, the
// index is the consent_state table, and the copy in memory is brought up
// to date with the ledger before each answer (catchUp): one query for a
// bulk decision, one shared by the single decisions asked meanwhile.
//
// An organization's entries are built from its ledger on its first
// decision, in the background; until they are, decisions are read from
// the ledger through its subject index. Commits that land during the load
// are kept aside and applied after it: an entry replaces another only if
// its record is later (higher seq), so the order does not matter.
//
// Memory: about 110 bytes per (person, purpose) pair, in maps without
// pointers, which the garbage collector does not scan; an organization
// with more than maxIndexedPairs keeps reading the ledger.
type stateIndex struct {
	db   *DB
	mu   sync.RWMutex
	orgs map[privaq.OrgID]*orgIndex
}

type orgIndex struct {
	m        map[pairKey]stateEntry // nil until loaded
	purposes map[string]uint16      // a number for each purpose seen
	loading  bool
	ready    chan struct{} // closed when the load under way ends
	pending  []stateUpdate // commits during the load
	retry    time.Time     // after a failed or refused load, when to try again
	// On PostgreSQL, m holds every record up to seq watermark; catchUp
	// reads the later ones, one caller at a time. Single decisions share
	// rounds of it (fresh): next is the round that has not started yet,
	// running tells whether a goroutine is running them.
	watermark int64
	catching  sync.Mutex
	next      *catchRound
	running   bool
}

type catchRound struct {
	done   chan struct{}
	loaded bool
	err    error
}

// pairKey is a pair in 18 bytes. The subject is the first half of its
// blind index (an HMAC-SHA256): two people of a million share it with a
// chance of about 10⁻²⁷.
type pairKey struct {
	idx     [16]byte
	purpose uint16
}

// stateEntry is what an answer needs of a pair's latest record.
type stateEntry struct {
	seq      int64
	expires  int64 // microseconds since 1970, 0 if none
	id       uuid.UUID
	version  int32
	decision uint8
}

var decisions = []consent.Decision{1: consent.Granted, 2: consent.Refused, 3: consent.Withdrawn}

type stateUpdate struct {
	idx     [16]byte
	purpose string
	entry   stateEntry
}

// maxIndexedPairs bounds one organization's entries in memory.
const maxIndexedPairs = 5_000_000

// loadRetry is how long after a failed or refused load the next is tried.
const loadRetry = time.Minute

// loadTimeout bounds one load, so that a lost connection does not leave
// an organization loading for ever.
const loadTimeout = 10 * time.Minute

func newStateIndex(db *DB) *stateIndex {
	return &stateIndex{db: db, orgs: map[privaq.OrgID]*orgIndex{}}
}

// get answers one pair from memory; loaded is false when the
// organization's entries are not in memory (yet), and the ledger must be
// read.
func (x *stateIndex) get(org privaq.OrgID, idx []byte, purpose string) (s consent.State, ok, loaded bool) {
	x.mu.RLock()
	o := x.orgs[org]
	if o == nil || o.m == nil {
		x.mu.RUnlock()
		x.startLoad(org)
		return s, false, false
	}
	e, ok := o.find(idx, purpose)
	x.mu.RUnlock()
	if ok {
		s = e.state()
	}
	return s, ok, true
}

// find looks a pair up; the caller holds the lock.
func (o *orgIndex) find(idx []byte, purpose string) (stateEntry, bool) {
	p, known := o.purposes[purpose]
	if !known || len(idx) < 16 {
		return stateEntry{}, false
	}
	k := pairKey{purpose: p}
	copy(k.idx[:], idx)
	e, ok := o.m[k]
	return e, ok
}

// lookup answers many pairs from memory, calling found for each one that
// has an entry; loaded is false when the ledger must be read instead. The
// lock is taken a chunk at a time, so that a large question does not hold
// up the commits (and, behind them, the other readers).
func (x *stateIndex) lookup(org privaq.OrgID, idxs [][]byte, pairs []consent.Pair, found func(i int, s consent.State)) (loaded bool) {
	const chunk = 4096
	for start := 0; start < len(pairs); start += chunk {
		x.mu.RLock()
		o := x.orgs[org]
		if o == nil || o.m == nil {
			// Not loaded, or dropped meanwhile (grown past its bound):
			// the ledger answers all of it.
			x.mu.RUnlock()
			x.startLoad(org)
			return false
		}
		for i := start; i < min(len(pairs), start+chunk); i++ {
			if e, ok := o.find(idxs[i], pairs[i].Purpose); ok {
				found(i, e.state())
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
		o.dropPastBound()
	case o.loading:
		o.pending = append(o.pending, ups...)
	}
}

// merge applies updates; the caller holds the lock.
func (o *orgIndex) merge(ups []stateUpdate) {
	for _, u := range ups {
		o.mergeOne(u)
	}
}

func (o *orgIndex) mergeOne(u stateUpdate) {
	k := pairKey{idx: u.idx, purpose: o.purposeNumber(u.purpose)}
	if old, ok := o.m[k]; !ok || u.entry.seq > old.seq {
		o.m[k] = u.entry
	}
}

// dropPastBound forgets the entries of an organization grown past
// maxIndexedPairs, which the ledger answers from then on; the caller holds
// the lock. It tells whether it did.
func (o *orgIndex) dropPastBound() bool {
	if len(o.m) <= maxIndexedPairs {
		return false
	}
	o.m, o.purposes, o.retry = nil, nil, time.Now().Add(loadRetry)
	return true
}

func (o *orgIndex) purposeNumber(name string) uint16 {
	p, ok := o.purposes[name]
	if !ok {
		// An inventory has a few dozen purposes; even renamed many
		// times, far fewer than 65,536.
		p = uint16(len(o.purposes))
		o.purposes[name] = p
	}
	return p
}

// shouldLoad tells whether startLoad has anything to do; the caller holds
// the lock.
func (o *orgIndex) shouldLoad() bool {
	return o == nil || (o.m == nil && !o.loading && !time.Now().Before(o.retry))
}

// startLoad loads an organization's entries in the background, unless
// that is under way, done, or refused for now. It first looks under the
// read lock, so that the questions asked while an organization is not in
// memory do not all take the write lock.
func (x *stateIndex) startLoad(org privaq.OrgID) {
	x.mu.RLock()
	load := x.orgs[org].shouldLoad()
	x.mu.RUnlock()
	if !load {
		return
	}
	x.mu.Lock()
	o := x.orgs[org]
	if o == nil {
		o = &orgIndex{}
		x.orgs[org] = o
	}
	if !o.shouldLoad() {
		x.mu.Unlock()
		return
	}
	// Marked before the ledger is read: a commit applied from now on is
	// kept in pending, one applied before is in what the read sees.
	o.loading, o.ready = true, make(chan struct{})
	x.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		loaded := &orgIndex{purposes: map[string]uint16{}}
		err := x.read(ctx, org, loaded)
		x.mu.Lock()
		defer x.mu.Unlock()
		defer close(o.ready)
		o.loading = false
		if err != nil {
			o.pending, o.retry = nil, time.Now().Add(loadRetry)
			if !errors.Is(err, errTooManyPairs) {
				x.db.log().Warn("decision_index_load_failed", "org", int64(org), "err", err)
			}
			return
		}
		o.m, o.purposes, o.watermark = loaded.m, loaded.purposes, loaded.watermark
		o.merge(o.pending)
		o.pending = nil
	}()
}

var errTooManyPairs = errors.New("more pairs than the index keeps in memory")

// read builds an organization's entries into o: on SQLite from its
// ledger, in seq order (the last record of each pair is its state); on
// PostgreSQL from consent_state, with the tip it is at, in one snapshot.
func (x *stateIndex) read(ctx context.Context, org privaq.OrgID, o *orgIndex) error {
	var q querier = x.db.r
	query := `SELECT ` + stateColumns + ` FROM consent_records WHERE org_id = $1 ORDER BY seq`
	o.m = map[pairKey]stateEntry{}
	if x.db.dialect == enginePostgres {
		tx, err := x.db.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		q, query = tx, `SELECT `+stateColumns+` FROM consent_state WHERE org_id = $1`
		var pairs int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT last_seq FROM ledger_tips WHERE org_id = $1), 0),
			(SELECT COUNT(*) FROM consent_state WHERE org_id = $1)`, org).Scan(&o.watermark, &pairs); err != nil {
			return err
		}
		if pairs > maxIndexedPairs {
			return errTooManyPairs
		}
		// One row per pair: sized once rather than grown. (SQLite's
		// ledger has a row per record, history included.)
		o.m = make(map[pairKey]stateEntry, pairs)
	}
	return scanUpdates(ctx, q, query, func(u stateUpdate) error {
		o.mergeOne(u)
		if len(o.m) > maxIndexedPairs {
			return errTooManyPairs
		}
		return nil
	}, org)
}

// scanUpdates reads entries, giving each to do.
func scanUpdates(ctx context.Context, q querier, query string, do func(stateUpdate) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		idx, purpose, s, err := scanState(rows)
		if err != nil {
			return err
		}
		u, err := updateOf(idx, purpose, s)
		if err != nil {
			return err
		}
		if err := do(u); err != nil {
			return err
		}
	}
	return rows.Err()
}

// catchUp brings an organization's entries up to date with its ledger on
// PostgreSQL, where other nodes write: it reads the records after the
// watermark. An organization's batches commit in seq order (each waits
// for the one before it on the tip's row lock, released at its commit),
// so what is in memory afterwards holds every record committed before the
// call. loaded is false when the entries are not in memory (yet).
func (x *stateIndex) catchUp(ctx context.Context, org privaq.OrgID) (loaded bool, err error) {
	x.mu.RLock()
	o := x.orgs[org]
	x.mu.RUnlock()
	if o == nil {
		x.startLoad(org)
		return false, nil
	}
	o.catching.Lock()
	defer o.catching.Unlock()
	x.mu.RLock()
	loaded, from := o.m != nil, o.watermark
	x.mu.RUnlock()
	if !loaded {
		x.startLoad(org)
		return false, nil
	}
	var ups []stateUpdate
	err = scanUpdates(ctx, x.db.r, `SELECT `+stateColumns+` FROM consent_records WHERE org_id = $1 AND seq > $2 ORDER BY seq`,
		func(u stateUpdate) error { ups = append(ups, u); return nil }, org, from)
	if err != nil {
		return false, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if o.m == nil {
		return false, nil
	}
	o.merge(ups)
	if len(ups) > 0 {
		o.watermark = max(o.watermark, ups[len(ups)-1].entry.seq)
	}
	return !o.dropPastBound(), nil
}

func updateOf(idx []byte, purpose string, s consent.State) (stateUpdate, error) {
	u := stateUpdate{purpose: purpose, entry: stateEntry{seq: s.Seq, version: int32(s.PolicyVersion)}}
	id, err := uuid.Parse(s.ID)
	for d, name := range decisions {
		if name == s.Decision && d > 0 {
			u.entry.decision = uint8(d)
		}
	}
	if err != nil || len(idx) < len(u.idx) || u.entry.decision == 0 {
		return u, fmt.Errorf("consent record %d: unexpected subject index, id or decision", s.Seq)
	}
	copy(u.idx[:], idx)
	u.entry.id = id
	if s.ExpiresAt != nil {
		u.entry.expires = micros(*s.ExpiresAt)
	}
	return u, nil
}

func (e stateEntry) state() consent.State {
	s := consent.State{Seq: e.seq, ID: e.id.String(), Decision: decisions[e.decision], PolicyVersion: int(e.version)}
	if e.expires != 0 {
		s.ExpiresAt = nullMicros(sql.NullInt64{Int64: e.expires, Valid: true})
	}
	return s
}

// fresh is catchUp for single decisions: the callers that come while a
// round is reading share the next one, which starts after they came, so
// it sees every record committed before each of them asked.
func (x *stateIndex) fresh(ctx context.Context, org privaq.OrgID) (loaded bool, err error) {
	x.mu.Lock()
	o := x.orgs[org]
	if o == nil || o.m == nil {
		x.mu.Unlock()
		x.startLoad(org)
		return false, nil
	}
	r := o.next
	if r == nil {
		r = &catchRound{done: make(chan struct{})}
		o.next = r
		if !o.running {
			o.running = true
			go x.rounds(org, o)
		}
	}
	x.mu.Unlock()
	select {
	case <-r.done:
		return r.loaded, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// rounds runs the rounds of catchUp callers are waiting for, then stops.
func (x *stateIndex) rounds(org privaq.OrgID, o *orgIndex) {
	for {
		x.mu.Lock()
		r := o.next
		o.next = nil
		if r == nil {
			o.running = false
			x.mu.Unlock()
			return
		}
		x.mu.Unlock()
		// A round's query is not any one caller's: it ends only on its
		// own deadline (a caller whose own ends first reads the table).
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		r.loaded, r.err = x.catchUp(ctx, org)
		cancel()
		close(r.done)
	}
}
