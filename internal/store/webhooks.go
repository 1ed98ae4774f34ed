package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
	"privaq/internal/webhook"
)

// Webhook endpoints and their outbox. The events are queued by
// enqueueWebhooks inside the ledger's transaction (see writeBatch), so a
// committed record always has its deliveries; the secret and the event
// body, which names the person, are sealed with the organization's key.

func webhookSecretAD(org privaq.OrgID) []byte  { return fmt.Appendf(nil, "webhook.secret:%d", org) }
func webhookPayloadAD(org privaq.OrgID) []byte { return fmt.Appendf(nil, "webhook.payload:%d", org) }

// CreateWebhook adds an endpoint, refusing more than webhook.MaxEndpoints
// per organization, and records it in the audit log.
func (db *DB) CreateWebhook(ctx context.Context, e *webhook.Endpoint, secret string, a audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE org_id = $1`, e.OrgID).Scan(&n); err != nil {
			return err
		}
		if n >= webhook.MaxEndpoints {
			return privaq.Errorf(privaq.EConflict, "an organization has at most %d webhook endpoints: delete one first", webhook.MaxEndpoints)
		}
		dek, err := db.orgKey(ctx, tx, e.OrgID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (org_id, url, events, secret_enc, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, e.OrgID, e.URL, strings.Join(e.Events, " "),
			dek.Seal([]byte(secret), webhookSecretAD(e.OrgID)), micros(e.CreatedAt)).Scan(&e.ID); err != nil {
			return err
		}
		a.OrgID, a.Target = e.OrgID, "webhook:"+strconv.FormatInt(e.ID, 10)
		return db.appendAudit(ctx, tx, a, e.CreatedAt)
	})
	return db.dialect.mapError(err, "webhook endpoint")
}

// Webhooks lists an organization's endpoints, oldest first.
func (db *DB) Webhooks(ctx context.Context, org privaq.OrgID) ([]webhook.Endpoint, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, url, events, created_at FROM webhook_endpoints WHERE org_id = $1 ORDER BY id`, org)
	if err != nil {
		return nil, db.dialect.mapError(err, "webhook endpoints")
	}
	defer rows.Close()
	var out []webhook.Endpoint
	for rows.Next() {
		e := webhook.Endpoint{OrgID: org}
		var events string
		var at int64
		if err := rows.Scan(&e.ID, &e.URL, &events, &at); err != nil {
			return nil, err
		}
		e.Events, e.CreatedAt = strings.Fields(events), fromMicros(at)
		out = append(out, e)
	}
	return out, db.dialect.mapError(rows.Err(), "webhook endpoints")
}

// DeleteWebhook removes an endpoint of org; its deliveries and their
// attempts cascade with it.
func (db *DB) DeleteWebhook(ctx context.Context, org privaq.OrgID, id int64, a audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2`, id, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sql.ErrNoRows
		}
		a.OrgID = org
		return db.appendAudit(ctx, tx, a, db.now())
	})
	return db.dialect.mapError(err, "webhook endpoint")
}

// WebhookDeliveries lists an endpoint's latest deliveries, newest first,
// with their attempts; an endpoint of another organization is not found.
func (db *DB) WebhookDeliveries(ctx context.Context, org privaq.OrgID, id int64, limit int) ([]webhook.Delivery, error) {
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = $1 AND org_id = $2`, id, org).Scan(&one); err != nil {
		return nil, db.dialect.mapError(err, "webhook endpoint")
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, event_id, event_type, record_id, seq, status, attempts, next_at, last_status, last_error,
		created_at, delivered_at FROM webhook_deliveries WHERE endpoint_id = $1 AND org_id = $2 ORDER BY id DESC LIMIT $3`, id, org, limit)
	if err != nil {
		return nil, db.dialect.mapError(err, "webhook deliveries")
	}
	var out []webhook.Delivery
	byID := map[int64]int{}
	for rows.Next() {
		var d webhook.Delivery
		var status string
		var next, created int64
		var delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.EventID, &d.Type, &d.RecordID, &d.Seq, &status, &d.Attempts, &next, &d.LastStatusCode,
			&d.LastError, &created, &delivered); err != nil {
			rows.Close()
			return nil, err
		}
		d.Status, d.CreatedAt, d.DeliveredAt, d.Log = webhook.Status(status), fromMicros(created), nullMicros(delivered), []webhook.Attempt{}
		if d.Status == webhook.StatusPending {
			t := fromMicros(next)
			d.NextAttemptAt = &t
		}
		byID[d.ID] = len(out)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, db.dialect.mapError(err, "webhook deliveries")
	}
	// The attempts of the listed deliveries, in one query.
	var b strings.Builder
	b.WriteString(`SELECT delivery_id, attempt, at, status_code, error, duration_us FROM webhook_attempts WHERE delivery_id IN (`)
	args := make([]any, 0, len(out))
	for i := range out {
		if i > 0 {
			b.WriteByte(',')
		}
		args = append(args, out[i].ID)
		b.WriteString("$" + strconv.Itoa(len(args)))
	}
	b.WriteString(`) ORDER BY delivery_id, attempt, id`)
	rows, err = db.r.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, db.dialect.mapError(err, "webhook attempts")
	}
	defer rows.Close()
	for rows.Next() {
		var a webhook.Attempt
		var delivery, at, us int64
		if err := rows.Scan(&delivery, &a.N, &at, &a.StatusCode, &a.Error, &us); err != nil {
			return nil, err
		}
		a.At, a.Duration = fromMicros(at), time.Duration(us)*time.Microsecond
		a.DurationMS = a.Duration.Milliseconds()
		d := &out[byID[delivery]]
		d.Log = append(d.Log, a)
	}
	return out, db.dialect.mapError(rows.Err(), "webhook attempts")
}

// enqueueWebhooks queues the events of recs, records just appended to
// org's ledger, for the organization's endpoints, inside the ledger's
// transaction tx: every withdrawal for every endpoint, every other record
// for the endpoints that asked for all. Without endpoints it costs one
// indexed query.
func (db *DB) enqueueWebhooks(ctx context.Context, tx *sql.Tx, org privaq.OrgID, recs []consent.Record) error {
	rows, err := tx.QueryContext(ctx, `SELECT e.id, e.events, o.slug FROM webhook_endpoints e JOIN orgs o ON o.id = e.org_id
		WHERE e.org_id = $1 ORDER BY e.id`, org)
	if err != nil {
		return err
	}
	var eps []webhook.Endpoint
	var slug string
	for rows.Next() {
		var e webhook.Endpoint
		var events string
		if err := rows.Scan(&e.ID, &events, &slug); err != nil {
			rows.Close()
			return err
		}
		e.Events = strings.Fields(events)
		eps = append(eps, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(eps) == 0 {
		return err
	}
	type row struct {
		endpoint int64
		rec      int
	}
	var queue []row
	for i := range recs {
		for _, e := range eps {
			if e.Receives(&recs[i]) {
				queue = append(queue, row{e.ID, i})
			}
		}
	}
	if len(queue) == 0 {
		return nil
	}
	dek, err := db.orgKey(ctx, tx, org)
	if err != nil {
		return err
	}
	// One event per record, whatever the number of endpoints: the same id
	// and body go to each, so receivers can tell duplicates apart.
	ids := map[int]string{}
	sealed := map[int][]byte{}
	for _, q := range queue {
		if _, ok := ids[q.rec]; ok {
			continue
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		body, err := webhook.Body(id.String(), slug, &recs[q.rec])
		if err != nil {
			return err
		}
		ids[q.rec] = id.String()
		sealed[q.rec] = dek.Seal(body, webhookPayloadAD(org))
	}
	return db.insertRows(ctx, tx, `INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, event_type, record_id, seq, payload_enc,
		status, next_at, created_at) VALUES `, 10, len(queue), "", func(i int) []any {
		q := queue[i]
		r := &recs[q.rec]
		at := micros(r.RecordedAt)
		return []any{org, q.endpoint, ids[q.rec], webhook.TypeOf(r), r.ID, r.Seq, sealed[q.rec], string(webhook.StatusPending), at, at}
	})
}

// ClaimWebhooks leases due deliveries. Each lease is one conditional
// UPDATE, so when two nodes race for a row only one of them claims it.
func (db *DB) ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]webhook.Job, error) {
	var jobs []webhook.Job
	var sealed [][]byte
	err := db.tx(ctx, func(tx *sql.Tx) error {
		due, err := dueIDs(ctx, tx, "webhook_deliveries", string(webhook.StatusPending), now, limit)
		if err != nil {
			return err
		}
		for _, id := range due {
			var j webhook.Job
			var secret, payload []byte
			err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET locked_until = $1, attempts = attempts + 1
				WHERE id = $2 AND status = $3 AND locked_until <= $4
				RETURNING id, org_id, endpoint_id, event_id, event_type, payload_enc, attempts`,
				micros(now.Add(lease)), id, string(webhook.StatusPending), micros(now)).
				Scan(&j.ID, &j.OrgID, &j.EndpointID, &j.EventID, &j.Type, &payload, &j.Attempt)
			if err == sql.ErrNoRows {
				continue // another node took it
			}
			if err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT url, secret_enc FROM webhook_endpoints WHERE id = $1`, j.EndpointID).
				Scan(&j.URL, &secret); err != nil {
				return err
			}
			jobs, sealed = append(jobs, j), append(sealed, secret, payload)
		}
		return nil
	})
	if err != nil {
		return nil, db.dialect.mapError(err, "webhook deliveries")
	}
	for i := range jobs {
		j := &jobs[i]
		dek, err := db.orgKey(ctx, db.r, j.OrgID)
		if err != nil {
			return nil, err
		}
		secret, err := dek.Open(sealed[2*i], webhookSecretAD(j.OrgID))
		if err != nil {
			return nil, fmt.Errorf("webhook endpoint %d: the secret does not open: %w", j.EndpointID, err)
		}
		if j.Body, err = dek.Open(sealed[2*i+1], webhookPayloadAD(j.OrgID)); err != nil {
			return nil, fmt.Errorf("webhook delivery %d: the event does not open: %w", j.ID, err)
		}
		j.Secret = string(secret)
	}
	return jobs, nil
}

// FinishWebhook records an attempt and its outcome: delivered, pending
// until next, or failed when next is nil. Only the claim that made the
// attempt decides the outcome: when its lease ran out and another claim
// followed, the attempt is kept in the log but leaves the status alone.
func (db *DB) FinishWebhook(ctx context.Context, j *webhook.Job, a webhook.Attempt, next *time.Time) error {
	ctx = context.WithoutCancel(ctx)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_deliveries WHERE id = $1`, j.ID).Scan(&one)
		if err == sql.ErrNoRows {
			return nil // the endpoint was deleted meanwhile, and the delivery with it
		}
		if err != nil {
			return err
		}
		switch {
		case a.OK():
			_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, delivered_at = $2, locked_until = 0,
				last_status = $3, last_error = '' WHERE id = $4 AND status = $5`,
				string(webhook.StatusDelivered), micros(a.At), a.StatusCode, j.ID, string(webhook.StatusPending))
		case next != nil:
			_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_at = $1, locked_until = 0, last_status = $2, last_error = $3
				WHERE id = $4 AND status = $5 AND attempts = $6`, micros(*next), a.StatusCode, a.Error, j.ID, string(webhook.StatusPending), j.Attempt)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, locked_until = 0, last_status = $2, last_error = $3
				WHERE id = $4 AND status = $5 AND attempts = $6`, string(webhook.StatusFailed), a.StatusCode, a.Error, j.ID, string(webhook.StatusPending), j.Attempt)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_us)
			VALUES ($1, $2, $3, $4, $5, $6)`, j.ID, a.N, micros(a.At), a.StatusCode, a.Error, a.Duration.Microseconds())
		return err
	})
	return db.dialect.mapError(err, "webhook delivery")
}

// PruneWebhooks deletes deliveries that are over and older than before.
func (db *DB) PruneWebhooks(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (
		SELECT id FROM webhook_deliveries WHERE created_at < $1 AND status IN ($2, $3) ORDER BY id LIMIT $4)`,
		micros(before), string(webhook.StatusDelivered), string(webhook.StatusFailed), limit)
	if err != nil {
		return 0, db.dialect.mapError(err, "webhook deliveries")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
