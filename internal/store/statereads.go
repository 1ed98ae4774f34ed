package store

import (
	"context"
	"database/sql"
	"runtime"
	"time"

	"privaq"
	"privaq/internal/consent"
)

// stateReads answers single decisions on PostgreSQL by batching the ones
// asked at the same time into one query. Each query costs a round trip
// and the server's work of parsing, planning and running it, more than
// reading one index entry; under load, the decisions that arrive while a
// query is out share the next one. No answer is stale: a question is
// taken by a worker only after it was asked, and the worker's query
// starts after it takes it, so its snapshot holds every withdrawal
// acknowledged before the question arrived, on any node.
type stateReads struct {
	db   *DB
	in   chan *stateAsk
	stop context.CancelFunc
	done chan struct{}
}

type stateAsk struct {
	org     privaq.OrgID
	idx     []byte
	purpose string
	state   consent.State
	ok      bool
	err     error
	done    chan struct{}
}

// maxStateReads bounds the questions of one query.
const maxStateReads = 256

// stateReadsQuery reads the entries of (organization, subject, purpose)
// triples given as three arrays, with each one's position in them.
const stateReadsQuery = `SELECT q.i, s.seq, s.id, s.decision, s.policy_version, s.expires_at
FROM unnest($1::bigint[], $2::bytea[], $3::text[]) WITH ORDINALITY AS q(org_id, subject_idx, purpose, i)
JOIN consent_state s ON s.org_id = q.org_id AND s.subject_idx = q.subject_idx AND s.purpose = q.purpose`

// newStateReads starts its workers: as many as there are cores, so that
// one query is built or read while another is on the server.
func newStateReads(db *DB) *stateReads {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stateReads{db: db, in: make(chan *stateAsk, 4096), stop: cancel, done: make(chan struct{})}
	n := max(2, runtime.GOMAXPROCS(0))
	exited := make(chan struct{}, n)
	for range n {
		go func() {
			defer func() { exited <- struct{}{} }()
			s.work(ctx)
		}()
	}
	go func() {
		for range n {
			<-exited
		}
		close(s.done)
	}()
	return s
}

func (s *stateReads) close() {
	s.stop()
	<-s.done
}

// ask returns the entry of one pair; ok is false when it has none.
func (s *stateReads) ask(ctx context.Context, org privaq.OrgID, idx []byte, purpose string) (consent.State, bool, error) {
	a := &stateAsk{org: org, idx: idx, purpose: purpose, done: make(chan struct{})}
	select {
	case s.in <- a:
	case <-ctx.Done():
		return consent.State{}, false, ctx.Err()
	}
	select {
	case <-a.done:
		return a.state, a.ok, a.err
	case <-ctx.Done():
		return consent.State{}, false, ctx.Err()
	}
}

func (s *stateReads) work(ctx context.Context) {
	batch := make([]*stateAsk, 0, maxStateReads)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case a := <-s.in:
			batch = append(batch, a)
		}
	drain:
		for len(batch) < maxStateReads {
			select {
			case a := <-s.in:
				batch = append(batch, a)
			default:
				break drain
			}
		}
		err := s.read(ctx, batch)
		for _, a := range batch {
			if err != nil {
				a.err = err
			}
			close(a.done)
		}
	}
}

// read runs one query for batch and fills in each question's answer.
func (s *stateReads) read(ctx context.Context, batch []*stateAsk) error {
	// A question's own deadline is its caller's; this one only keeps a
	// lost connection from holding the batch for ever.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	orgs := make([]int64, len(batch))
	idxs := make([][]byte, len(batch))
	purposes := make([]string, len(batch))
	for i, a := range batch {
		orgs[i], idxs[i], purposes[i] = int64(a.org), a.idx, a.purpose
	}
	st, err := s.db.pr.stmt(ctx, stateReadsQuery)
	if err != nil {
		return s.db.dialect.mapError(err, "consent state")
	}
	rows, err := st.QueryContext(ctx, orgs, idxs, purposes)
	if err != nil {
		return s.db.dialect.mapError(err, "consent state")
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var dec string
		var exp sql.NullInt64
		var st consent.State
		if err := rows.Scan(&i, &st.Seq, &st.ID, &dec, &st.PolicyVersion, &exp); err != nil {
			return s.db.dialect.mapError(err, "consent state")
		}
		if i < 1 || i > len(batch) {
			continue
		}
		st.Decision, st.ExpiresAt = consent.Decision(dec), nullMicros(exp)
		batch[i-1].state, batch[i-1].ok = st, true
	}
	return s.db.dialect.mapError(rows.Err(), "consent state")
}
