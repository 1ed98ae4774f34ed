package store

import (
	"context"
	"time"

	"privaq"
	"privaq/internal/consent"
)

// ConsentCounts counts an organization's records per purpose, decision
// and period. The period is computed in SQL by integer division of the
// recorded time in microseconds, the same on SQLite and PostgreSQL; the
// range scan uses the (org_id, recorded_at) index. Each bound is its own
// placeholder: parameters are never reused, so both drivers bind them
// by position.
func (db *DB) ConsentCounts(ctx context.Context, org privaq.OrgID, start time.Time, width time.Duration, periods int) ([]consent.Count, error) {
	from, w := micros(start), width.Microseconds()
	if w <= 0 || periods <= 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT purpose, decision, (recorded_at - $2) / $3 AS period, COUNT(*)
		FROM consent_records
		WHERE org_id = $1 AND recorded_at >= $4 AND recorded_at < $5
		GROUP BY purpose, decision, period
		ORDER BY purpose, period, decision`,
		org, from, w, from, from+w*int64(periods))
	if err != nil {
		return nil, db.dialect.mapError(err, "consent counts")
	}
	defer rows.Close()
	var out []consent.Count
	for rows.Next() {
		var c consent.Count
		var dec string
		var period, n int64
		if err := rows.Scan(&c.Purpose, &dec, &period, &n); err != nil {
			return nil, err
		}
		c.Decision, c.Period, c.N = consent.Decision(dec), int(period), int(n)
		out = append(out, c)
	}
	return out, db.dialect.mapError(rows.Err(), "consent counts")
}
