package store

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/consent"
)

// exportChunk is how many records one query of an export reads. Each
// chunk is read whole and its cursor closed before the rows are handed
// on, so a slow client never holds a read transaction open (on SQLite,
// that would keep the WAL from being checkpointed).
const exportChunk = 2000

// exportWhere is the condition of an export's rows after seq $2; it
// returns the SQL and its arguments.
func exportWhere(org privaq.OrgID, k orgKeys, f consent.ExportFilter, after int64) (string, []any) {
	var b strings.Builder
	args := []any{org, after, f.UpTo}
	b.WriteString(`org_id = $1 AND seq > $2 AND seq <= $3`)
	add := func(cond string, v any) {
		args = append(args, v)
		b.WriteString(" AND " + cond + " $" + strconv.Itoa(len(args)))
	}
	if f.Subject != "" {
		add("subject_idx =", k.index.Index(f.Subject))
	}
	if f.Purpose != "" {
		add("purpose =", f.Purpose)
	}
	if f.From != nil {
		add("recorded_at >=", micros(*f.From))
	}
	if f.To != nil {
		add("recorded_at <", micros(*f.To))
	}
	return b.String(), args
}

// CountExport counts the records an export selects.
func (db *DB) CountExport(ctx context.Context, org privaq.OrgID, f consent.ExportFilter) (int64, error) {
	k, err := db.ledgerKeys(ctx, db.r, org)
	if err != nil {
		return 0, err
	}
	where, args := exportWhere(org, k, f, 0)
	var n int64
	err = db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM consent_records WHERE `+where, args...).Scan(&n)
	return n, db.dialect.mapError(err, "consent records")
}

// ExportRecords yields the records an export selects, opened, in sequence
// order, one chunk of exportChunk rows per query. A record whose sealed
// fields do not open stops the export with an error naming it.
func (db *DB) ExportRecords(ctx context.Context, org privaq.OrgID, f consent.ExportFilter) iter.Seq2[consent.Record, error] {
	return func(yield func(consent.Record, error) bool) {
		k, err := db.ledgerKeys(ctx, db.r, org)
		if err != nil {
			yield(consent.Record{}, err)
			return
		}
		var after int64
		for {
			chunk, err := db.exportChunk(ctx, org, k, f, after)
			if err != nil {
				yield(consent.Record{}, err)
				return
			}
			for i := range chunk {
				if !yield(chunk[i], nil) {
					return
				}
			}
			if len(chunk) < exportChunk {
				return
			}
			after = chunk[len(chunk)-1].Seq
		}
	}
}

func (db *DB) exportChunk(ctx context.Context, org privaq.OrgID, k orgKeys, f consent.ExportFilter, after int64) ([]consent.Record, error) {
	where, args := exportWhere(org, k, f, after)
	args = append(args, exportChunk)
	rows, err := db.r.QueryContext(ctx, `SELECT `+recordColumns+` FROM consent_records WHERE `+where+
		` ORDER BY seq LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, db.dialect.mapError(err, "consent records")
	}
	defer rows.Close()
	out := make([]consent.Record, 0, exportChunk)
	for rows.Next() {
		r, err := db.scanRecord(org, k, rows)
		if err != nil {
			return nil, db.dialect.mapError(err, "consent records")
		}
		if r.Err != nil {
			return nil, &privaq.Error{Code: privaq.EInternal, Message: "a consent record cannot be read",
				Err: fmt.Errorf("record %d: %w (run the ledger verification)", r.Seq, r.Err)}
		}
		out = append(out, r.Record)
	}
	return out, db.dialect.mapError(rows.Err(), "consent records")
}
