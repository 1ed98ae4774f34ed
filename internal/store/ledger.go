package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/keys"
)

// The consent ledger's storage. The chain logic (hashes, Merkle roots,
// signatures) is in package consent; this file keeps rows, seals the
// fields that name people, and takes the per-organization tip lock.

func subjectAD(org privaq.OrgID) []byte { return fmt.Appendf(nil, "consent.subject:%d", org) }
func reprAD(org privaq.OrgID) []byte    { return fmt.Appendf(nil, "consent.representative:%d", org) }
func evidenceAD(org privaq.OrgID) []byte {
	return fmt.Appendf(nil, "consent.evidence:%d", org)
}
func ledgerKeyAD(org privaq.OrgID, id int) []byte {
	return fmt.Appendf(nil, "ledger-key:%d:%d", org, id)
}

// orgKeys are what the ledger needs of an organization's keys: its data
// key prepared for sealing, and the key of the subjects' blind index.
type orgKeys struct {
	dek   keys.Cipher
	index keys.Key
}

func (db *DB) ledgerKeys(ctx context.Context, q querier, org privaq.OrgID) (orgKeys, error) {
	db.keys.mu.RLock()
	k, ok := db.keys.ledger[org]
	db.keys.mu.RUnlock()
	if ok {
		return k, nil
	}
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return orgKeys{}, err
	}
	k = orgKeys{dek: dek.Cipher(), index: dek.Derive("consent-subject-index")}
	db.keys.mu.Lock()
	db.keys.ledger[org] = k
	db.keys.mu.Unlock()
	return k, nil
}

// signingKey returns the organization's ledger key, creating it on first
// use; the caller holds the tip lock, so two nodes never create two.
func (db *DB) signingKey(ctx context.Context, tx *sql.Tx, org privaq.OrgID, now time.Time) (consent.SigningKey, error) {
	db.keys.mu.RLock()
	k, ok := db.keys.signing[org]
	db.keys.mu.RUnlock()
	if ok {
		return k, nil
	}
	var id int
	var sealed []byte
	err := tx.QueryRowContext(ctx, `SELECT key_id, private_enc FROM ledger_keys WHERE org_id = $1 ORDER BY key_id DESC LIMIT 1`, org).Scan(&id, &sealed)
	switch {
	case err == sql.ErrNoRows:
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return k, err
		}
		id = 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_keys (org_id, key_id, public_key, private_enc, created_at) VALUES ($1, $2, $3, $4, $5)`,
			org, id, []byte(pub), db.keys.master.Seal(priv.Seed(), ledgerKeyAD(org, id)), micros(now)); err != nil {
			return k, err
		}
		k = consent.SigningKey{ID: id, Private: priv}
	case err != nil:
		return k, err
	default:
		seed, err := db.keys.master.Open(sealed, ledgerKeyAD(org, id))
		if err != nil || len(seed) != ed25519.SeedSize {
			return k, &privaq.Error{Code: privaq.EInternal, Message: "the ledger signing key cannot be opened", Err: err}
		}
		k = consent.SigningKey{ID: id, Private: ed25519.NewKeyFromSeed(seed)}
	}
	// Cached only once the transaction that may have created it commits.
	return k, nil
}

func (db *DB) cacheSigningKey(org privaq.OrgID, k consent.SigningKey) {
	db.keys.mu.Lock()
	db.keys.signing[org] = k
	db.keys.mu.Unlock()
}

// lockTip returns the organization's chain tip, locked for the
// transaction (row lock on PostgreSQL; SQLite's writer is already alone),
// in one statement: on PostgreSQL an upsert that changes nothing waits for
// the transaction holding the row, locks it and returns its latest
// committed values, under READ COMMITTED as the ledger's transactions
// run.
func (db *DB) lockTip(ctx context.Context, tx *sql.Tx, org privaq.OrgID) (consent.Tip, error) {
	var t consent.Tip
	err := tx.QueryRowContext(ctx, `INSERT INTO ledger_tips (org_id, last_seq, last_hash, last_batch) VALUES ($1, 0, $2, 0)
		ON CONFLICT (org_id) DO UPDATE SET org_id = excluded.org_id
		RETURNING last_seq, last_hash, last_batch`, org, consent.Genesis).Scan(&t.LastSeq, &t.LastHash, &t.LastBatch)
	return t, err
}

// insertRows writes rows with one multi-row INSERT per chunk: a round trip
// per chunk rather than per row matters on PostgreSQL.
func (db *DB) insertRows(ctx context.Context, tx *sql.Tx, head string, cols, n int, suffix string, row func(i int) []any) error {
	if db.dialect == engineSQLite {
		return db.insertEach(ctx, tx, head, cols, n, suffix, row)
	}
	per := max(1, 900/cols)
	for start := 0; start < n; start += per {
		var b strings.Builder
		b.WriteString(head)
		args := appendValues(&b, nil, cols, min(per, n-start), func(i int) []any { return row(start + i) })
		b.WriteString(suffix)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// appendValues writes the VALUES rows of n rows of cols PostgreSQL
// parameters each, numbered after args, and returns args with theirs.
func appendValues(b *strings.Builder, args []any, cols, n int, row func(i int) []any) []any {
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(len(args) + c + 1))
		}
		b.WriteByte(')')
		args = append(args, row(i)...)
	}
	return args
}

// insertEach is insertRows for SQLite, where a round trip costs nothing
// but parsing a statement of many rows costs more than running it: a
// single-row statement, prepared once, run for each row.
func (db *DB) insertEach(ctx context.Context, tx *sql.Tx, head string, cols, n int, suffix string, row func(i int) []any) error {
	var b strings.Builder
	b.WriteString(head)
	b.WriteByte('(')
	for c := range cols {
		if c > 0 {
			b.WriteByte(',')
		}
		// Positional rather than numbered: the driver then binds by
		// index without asking SQLite each parameter's name.
		b.WriteByte('?')
	}
	b.WriteByte(')')
	b.WriteString(suffix)
	// Prepared on the transaction: the writer pool's one connection is
	// the transaction's, so the pool could not prepare it meanwhile.
	st, err := tx.PrepareContext(ctx, b.String())
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range n {
		if _, err := st.ExecContext(ctx, row(i)...); err != nil {
			return err
		}
	}
	return nil
}

// AppendLedger writes one batch per organization in one transaction.
func (db *DB) AppendLedger(ctx context.Context, orgs []privaq.OrgID,
	build func(org privaq.OrgID, tip consent.Tip, key consent.SigningKey) (*consent.Batch, error)) error {
	orgs = slices.Clone(orgs)
	// One order for every node: two transactions never wait on each
	// other's tips crosswise.
	slices.Sort(orgs)
	keysUsed := map[privaq.OrgID]consent.SigningKey{}
	updates := map[privaq.OrgID][]stateUpdate{}
	err := db.txOn(ctx, db.ledger, func(tx *sql.Tx) error {
		now := db.now()
		for _, org := range orgs {
			tip, err := db.lockTip(ctx, tx, org)
			if err != nil {
				return db.dialect.mapError(err, "organization")
			}
			key, err := db.signingKey(ctx, tx, org, now)
			if err != nil {
				return err
			}
			keysUsed[org] = key
			b, err := build(org, tip, key)
			if err != nil {
				return err
			}
			ups, err := db.writeBatch(ctx, tx, org, b)
			if err != nil {
				return err
			}
			if ups != nil {
				updates[org] = ups
			}
		}
		return nil
	})
	if err != nil {
		return db.dialect.mapError(err, "consent ledger")
	}
	for org, k := range keysUsed {
		db.cacheSigningKey(org, k)
	}
	// Before the writes are acknowledged, the index in memory has them.
	for org, ups := range updates {
		db.index.apply(org, ups)
	}
	return nil
}

func (db *DB) writeBatch(ctx context.Context, tx *sql.Tx, org privaq.OrgID, b *consent.Batch) ([]stateUpdate, error) {
	k, err := db.ledgerKeys(ctx, tx, org)
	if err != nil {
		return nil, err
	}
	rs := b.Records
	idx := make([][]byte, len(rs))
	for i := range rs {
		idx[i] = k.index.Index(rs[i].Subject)
	}
	recRow := func(i int) []any {
		r := &rs[i]
		var repr, ev []byte
		if r.Representative != "" {
			repr = k.dek.Seal([]byte(r.Representative), reprAD(org))
		}
		if len(r.Evidence) > 0 {
			ev = k.dek.Seal(r.Evidence, evidenceAD(org))
		}
		return []any{org, r.Seq, r.ID, r.Batch, idx[i], k.dek.Seal([]byte(r.Subject), subjectAD(org)), r.SubjectCategory, r.Purpose,
			string(r.Decision), string(r.Mode), r.Channel, string(r.GivenBy), repr, r.PolicyVersion, ev, expiry(r.ExpiresAt), micros(r.RecordedAt), r.Hash}
	}
	if err := db.enqueueWebhooks(ctx, tx, org, rs); err != nil {
		return nil, err
	}
	// The index keeps the latest record per pair: within the batch the
	// last one wins, and against the table (or the copy in memory) the
	// higher seq.
	last := map[string]int{}
	var order []int
	for i := range rs {
		key := string(idx[i]) + "\x00" + rs[i].Purpose
		if j, ok := last[key]; ok {
			order[j] = i
			continue
		}
		last[key] = len(order)
		order = append(order, i)
	}
	stateRow := func(j int) []any {
		r := &rs[order[j]]
		return []any{org, idx[order[j]], r.Purpose, r.Seq, r.ID, string(r.Decision), r.PolicyVersion, expiry(r.ExpiresAt), micros(r.RecordedAt)}
	}
	h := &b.Head
	chain, _ := hex.DecodeString(h.ChainHash)
	root, _ := hex.DecodeString(h.Root)
	headRow := func(int) []any {
		return []any{org, h.Batch, h.FirstSeq, h.LastSeq, chain, root, micros(h.SignedAt), h.KeyID, []byte(h.Signature)}
	}
	if db.dialect == enginePostgres {
		return nil, db.writeBatchPostgres(ctx, tx, recRow, len(rs), stateRow, len(order), headRow)
	}
	if err := db.insertEach(ctx, tx, insertRecords, 18, len(rs), "", recRow); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, insertBatch+`($1, $2, $3, $4, $5, $6, $7, $8, $9)`, headRow(0)...); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ledger_tips SET last_seq = $1, last_hash = $2, last_batch = $3 WHERE org_id = $4`,
		h.LastSeq, chain, h.Batch, org); err != nil {
		return nil, err
	}
	ups := make([]stateUpdate, 0, len(order))
	for _, i := range order {
		r := &rs[i]
		u, err := updateOf(idx[i], r.Purpose, consent.State{Seq: r.Seq, ID: r.ID, Decision: r.Decision, PolicyVersion: r.PolicyVersion, ExpiresAt: r.ExpiresAt})
		if err != nil {
			return nil, err
		}
		ups = append(ups, u)
	}
	return ups, nil
}

const (
	insertRecords = `INSERT INTO consent_records (org_id, seq, id, batch, subject_idx, subject_enc, subject_category, purpose,
		decision, mode, channel, given_by, representative_enc, policy_version, evidence_enc, expires_at, recorded_at, hash) VALUES `
	insertStates = `INSERT INTO consent_state (org_id, subject_idx, purpose, seq, id, decision, policy_version, expires_at, recorded_at) VALUES `
	upsertStates = ` ON CONFLICT (org_id, subject_idx, purpose) DO UPDATE SET seq = excluded.seq, id = excluded.id, decision = excluded.decision,
		policy_version = excluded.policy_version, expires_at = excluded.expires_at, recorded_at = excluded.recorded_at
		WHERE excluded.seq > consent_state.seq`
	insertBatch = `INSERT INTO ledger_batches (org_id, batch, first_seq, last_seq, chain_hash, root, signed_at, key_id, signature) VALUES `
)

// maxPostgresParams is how many parameters one PostgreSQL statement takes.
const maxPostgresParams = 65535

// writeBatchPostgres writes a batch's records, its state entries, its
// head and the new tip in one statement (data-modifying WITH clauses)
// when its parameters fit, else in a few: each statement is a round trip
// to a server that shares the machine's cores, the longest part of a
// commit under load.
func (db *DB) writeBatchPostgres(ctx context.Context, tx *sql.Tx, recRow func(int) []any, nrec int,
	stateRow func(int) []any, nstate int, headRow func(int) []any) error {
	var b strings.Builder
	var args []any
	if 18*nrec+9*nstate+9 <= maxPostgresParams {
		b.WriteString(`WITH r AS (` + insertRecords)
		args = appendValues(&b, args, 18, nrec, recRow)
		b.WriteString(`), s AS (` + insertStates)
		args = appendValues(&b, args, 9, nstate, stateRow)
		b.WriteString(upsertStates + `), `)
	} else {
		if err := db.insertRows(ctx, tx, insertRecords, 18, nrec, "", recRow); err != nil {
			return err
		}
		if err := db.insertRows(ctx, tx, insertStates, 9, nstate, upsertStates, stateRow); err != nil {
			return err
		}
		b.WriteString(`WITH `)
	}
	first := len(args) + 1 // the head's org_id; batch, first_seq, last_seq, chain_hash follow
	b.WriteString(`h AS (` + insertBatch)
	args = appendValues(&b, args, 9, 1, headRow)
	fmt.Fprintf(&b, `) UPDATE ledger_tips SET last_seq = $%d, last_hash = $%d, last_batch = $%d WHERE org_id = $%d`, first+3, first+4, first+1, first)
	_, err := tx.ExecContext(ctx, b.String(), args...)
	return err
}

func expiry(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}
