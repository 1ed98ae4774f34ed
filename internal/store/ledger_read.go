package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"sync"

	"privaq"
	"privaq/internal/consent"
)

const stateColumns = `subject_idx, purpose, seq, id, decision, policy_version, expires_at`

func scanState(sc interface{ Scan(...any) error }) (idx []byte, purpose string, s consent.State, err error) {
	var dec string
	var exp sql.NullInt64
	err = sc.Scan(&idx, &purpose, &s.Seq, &s.ID, &dec, &s.PolicyVersion, &exp)
	s.Decision, s.ExpiresAt = consent.Decision(dec), nullMicros(exp)
	return
}

// ConsentStates answers pairs from the decision index in memory
// (stateindex.go), made fresh first on PostgreSQL; until it is loaded,
// from the database: a single pair with one query, many pairs with one
// query per chunk of subjects.
func (db *DB) ConsentStates(ctx context.Context, org privaq.OrgID, pairs []consent.Pair) ([]consent.State, []bool, error) {
	k, err := db.ledgerKeys(ctx, db.r, org)
	if err != nil {
		return nil, nil, err
	}
	states, ok := make([]consent.State, len(pairs)), make([]bool, len(pairs))
	if len(pairs) == 1 {
		idx, purpose := k.index.Index(pairs[0].Subject), pairs[0].Purpose
		if db.indexFresh(ctx, org, true) {
			if s, found, loaded := db.index.get(org, idx, purpose); loaded {
				states[0], ok[0] = s, found
				return states, ok, nil
			}
		}
		// Before the copy in memory is loaded: the latest record.
		query := `SELECT ` + stateColumns + ` FROM consent_records WHERE org_id = $1 AND subject_idx = $2 AND purpose = $3 ORDER BY seq DESC LIMIT 1`
		if db.dialect == enginePostgres {
			query = `SELECT ` + stateColumns + ` FROM consent_state WHERE org_id = $1 AND subject_idx = $2 AND purpose = $3`
		}
		row := db.pr.queryRow(ctx, query, org, idx, purpose)
		_, _, s, err := scanState(row)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, nil, db.dialect.mapError(err, "consent state")
		default:
			states[0], ok[0] = s, true
		}
		return states, ok, nil
	}
	idxs := blindIndexes(k, pairs)
	if db.indexFresh(ctx, org, false) && db.index.lookup(org, idxs, pairs, func(i int, s consent.State) { states[i], ok[i] = s, true }) {
		return states, ok, nil
	}
	clear(states)
	clear(ok)
	// Many pairs from the table: in chunks of consecutive pairs, each
	// answered on its own by one of a few goroutines, which writes only
	// its own pairs' answers (a subject asked in two chunks is read twice).
	chunk := sqliteChunk // SQLite binds each subject as a parameter of an IN list
	if db.dialect == enginePostgres {
		chunk = 5000 // PostgreSQL takes them as one array parameter
	}
	n := (len(pairs) + chunk - 1) / chunk
	errs := make([]error, n)
	inParallel(n, func(c int) {
		first := c * chunk
		part := pairs[first:min(len(pairs), first+chunk)]
		want := make(map[string][]int, len(part))
		var subjects [][]byte
		for j, p := range part {
			key := stateKey(idxs[first+j], p.Purpose)
			// A subject asked for two purposes is listed twice:
			// harmless in IN and ANY.
			if _, asked := want[key]; !asked {
				subjects = append(subjects, idxs[first+j])
			}
			want[key] = append(want[key], first+j)
		}
		errs[c] = db.statesOf(ctx, org, subjects, func(idx []byte, purpose string, s consent.State) {
			for _, i := range want[stateKey(idx, purpose)] {
				states[i], ok[i] = s, true
			}
		})
	})
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return states, ok, nil
}

// indexFresh tells whether the decision index in memory may answer a
// question asked now: always on SQLite (the node's own commits keep it
// exact; a lookup says whether it is loaded), on PostgreSQL once it has
// read the ledger records written since it last did, in a round shared
// with other single questions or, for a bulk one, on its own. A read
// that fails, or outlives the caller's deadline, leaves the question to
// the table.
func (db *DB) indexFresh(ctx context.Context, org privaq.OrgID, single bool) bool {
	if db.dialect == engineSQLite {
		return true
	}
	var fresh bool
	var err error
	if single {
		fresh, err = db.index.fresh(ctx, org)
	} else {
		fresh, err = db.index.catchUp(ctx, org)
	}
	return err == nil && fresh
}

// blindIndexes computes the subjects' blind indexes, in parallel: a
// hundred thousand HMACs take a while on one core.
func blindIndexes(k orgKeys, pairs []consent.Pair) [][]byte {
	const chunk = 5000
	idxs := make([][]byte, len(pairs))
	inParallel((len(pairs)+chunk-1)/chunk, func(c int) {
		index := k.index.Indexer()
		for i := c * chunk; i < min(len(pairs), (c+1)*chunk); i++ {
			idxs[i] = index(pairs[i].Subject)
		}
	})
	return idxs
}

// inParallel runs do(0) … do(n-1) on as many goroutines as there are
// cores (at least two, so that one waits on the database while another
// works).
func inParallel(n int, do func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, max(2, runtime.GOMAXPROCS(0))) {
		wg.Go(func() {
			for i := range next {
				do(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// sqliteChunk is how many subjects one SQLite query asks for.
const sqliteChunk = 500

// sqliteStatesQuery asks for the records of sqliteChunk subjects, with
// positional parameters: the driver then binds them without asking SQLite
// their names. In seq order, so that the latest of a pair comes last.
var sqliteStatesQuery = `SELECT ` + stateColumns + ` FROM consent_records WHERE org_id = ? AND subject_idx IN (?` +
	strings.Repeat(",?", sqliteChunk-1) + `) ORDER BY seq`

// statesOf reads the latest decisions of some subjects, every purpose:
// found may be called more than once for a pair, the latest last.
func (db *DB) statesOf(ctx context.Context, org privaq.OrgID, subjects [][]byte, found func(idx []byte, purpose string, s consent.State)) error {
	var rows *sql.Rows
	var err error
	if db.dialect == enginePostgres {
		rows, err = db.r.QueryContext(ctx, `SELECT `+stateColumns+` FROM consent_state WHERE org_id = $1 AND subject_idx = ANY($2)`, org, subjects)
	} else {
		// One statement text for every chunk, prepared once per
		// connection; a short chunk repeats its last subject.
		args := make([]any, 1, 1+sqliteChunk)
		args[0] = org
		for i := range sqliteChunk {
			args = append(args, subjects[min(i, len(subjects)-1)])
		}
		var st *sql.Stmt
		if st, err = db.pr.stmt(ctx, sqliteStatesQuery); err == nil {
			rows, err = st.QueryContext(ctx, args...)
		}
	}
	if err != nil {
		return db.dialect.mapError(err, "consent state")
	}
	defer rows.Close()
	for rows.Next() {
		idx, purpose, s, err := scanState(rows)
		if err != nil {
			return err
		}
		found(idx, purpose, s)
	}
	return db.dialect.mapError(rows.Err(), "consent state")
}

func stateKey(idx []byte, purpose string) string { return string(idx) + "\x00" + purpose }

// SubjectRecords lists a person's records in sequence order, opened.
func (db *DB) SubjectRecords(ctx context.Context, org privaq.OrgID, subject string) ([]consent.Record, error) {
	k, err := db.ledgerKeys(ctx, db.r, org)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+recordColumns+` FROM consent_records WHERE org_id = $1 AND subject_idx = $2 ORDER BY seq`,
		org, k.index.Index(subject))
	if err != nil {
		return nil, db.dialect.mapError(err, "consent records")
	}
	defer rows.Close()
	var out []consent.Record
	for rows.Next() {
		r, err := db.scanRecord(org, k, rows)
		if err != nil {
			return nil, err
		}
		if r.Err != nil {
			return nil, r.Err
		}
		out = append(out, r.Record)
	}
	return out, db.dialect.mapError(rows.Err(), "consent records")
}

const recordColumns = `seq, id, batch, subject_enc, subject_category, purpose, decision, mode, channel, given_by,
	representative_enc, policy_version, evidence_enc, expires_at, recorded_at, hash`

// scanRecord reads a row of recordColumns and opens its sealed fields; a
// field that does not open makes Err, not a failure, so verification can
// name the record.
func (db *DB) scanRecord(org privaq.OrgID, k orgKeys, sc interface{ Scan(...any) error }) (consent.StoredRecord, error) {
	var r consent.StoredRecord
	var subj, repr, ev []byte
	var dec, mode, given string
	var exp sql.NullInt64
	var rec int64
	if err := sc.Scan(&r.Seq, &r.ID, &r.Batch, &subj, &r.SubjectCategory, &r.Purpose, &dec, &mode, &r.Channel, &given,
		&repr, &r.PolicyVersion, &ev, &exp, &rec, &r.Hash); err != nil {
		return r, err
	}
	r.OrgID, r.Decision, r.Mode, r.GivenBy = org, consent.Decision(dec), consent.Mode(mode), consent.GivenBy(given)
	r.ExpiresAt, r.RecordedAt = nullMicros(exp), fromMicros(rec)
	open := func(sealed, ad []byte) []byte {
		if sealed == nil || r.Err != nil {
			return nil
		}
		p, err := k.dek.Open(sealed, ad)
		if err != nil {
			r.Err = errors.New("a sealed field does not open: the row was altered")
		}
		return p
	}
	r.Subject = string(open(subj, subjectAD(org)))
	r.Representative = string(open(repr, reprAD(org)))
	if ev != nil {
		r.Evidence = open(ev, evidenceAD(org))
	}
	return r, nil
}

// LedgerRecords reads records after seq, in order.
func (db *DB) LedgerRecords(ctx context.Context, org privaq.OrgID, after int64, limit int) ([]consent.StoredRecord, error) {
	return db.ledgerRecords(ctx, org, `SELECT `+recordColumns+` FROM consent_records WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		limit, org, after, limit)
}

// LedgerRange reads the records with from < seq <= to, in order. Both
// bounds keep PostgreSQL on a short index range even when its statistics
// lag behind a bulk load: with the lower one alone it once sorted the
// whole rest of the table for each chunk of a verification.
func (db *DB) LedgerRange(ctx context.Context, org privaq.OrgID, from, to int64) ([]consent.StoredRecord, error) {
	return db.ledgerRecords(ctx, org, `SELECT `+recordColumns+` FROM consent_records WHERE org_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
		int(min(to-from, 100_000)), org, from, to)
}

func (db *DB) ledgerRecords(ctx context.Context, org privaq.OrgID, query string, size int, args ...any) ([]consent.StoredRecord, error) {
	k, err := db.ledgerKeys(ctx, db.r, org)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.dialect.mapError(err, "consent records")
	}
	defer rows.Close()
	out := make([]consent.StoredRecord, 0, max(size, 0))
	for rows.Next() {
		r, err := db.scanRecord(org, k, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, db.dialect.mapError(rows.Err(), "consent records")
}

// LedgerHeads lists the signed batch heads in order.
func (db *DB) LedgerHeads(ctx context.Context, org privaq.OrgID) ([]consent.Head, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT batch, first_seq, last_seq, chain_hash, root, signed_at, key_id, signature
		FROM ledger_batches WHERE org_id = $1 ORDER BY batch`, org)
	if err != nil {
		return nil, db.dialect.mapError(err, "ledger batches")
	}
	defer rows.Close()
	var out []consent.Head
	for rows.Next() {
		h := consent.Head{Org: int64(org)}
		var chain, root, sig []byte
		var at int64
		if err := rows.Scan(&h.Batch, &h.FirstSeq, &h.LastSeq, &chain, &root, &at, &h.KeyID, &sig); err != nil {
			return nil, err
		}
		h.ChainHash, h.Root, h.SignedAt, h.Signature = hex.EncodeToString(chain), hex.EncodeToString(root), fromMicros(at), string(sig)
		out = append(out, h)
	}
	return out, db.dialect.mapError(rows.Err(), "ledger batches")
}

// LedgerTip returns the end of the organization's chain (zero when empty).
func (db *DB) LedgerTip(ctx context.Context, org privaq.OrgID) (consent.Tip, error) {
	t := consent.Tip{LastHash: consent.Genesis}
	err := db.r.QueryRowContext(ctx, `SELECT last_seq, last_hash, last_batch FROM ledger_tips WHERE org_id = $1`, org).
		Scan(&t.LastSeq, &t.LastHash, &t.LastBatch)
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	return t, db.dialect.mapError(err, "ledger tip")
}

// LedgerPublicKeys lists the organization's ledger keys.
func (db *DB) LedgerPublicKeys(ctx context.Context, org privaq.OrgID) ([]consent.PublicKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT key_id, public_key, created_at FROM ledger_keys WHERE org_id = $1 ORDER BY key_id`, org)
	if err != nil {
		return nil, db.dialect.mapError(err, "ledger keys")
	}
	defer rows.Close()
	var out []consent.PublicKey
	for rows.Next() {
		var k consent.PublicKey
		var at int64
		if err := rows.Scan(&k.ID, &k.Key, &at); err != nil {
			return nil, err
		}
		k.CreatedAt = fromMicros(at)
		out = append(out, k)
	}
	return out, db.dialect.mapError(rows.Err(), "ledger keys")
}
