package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/mail"
)

// sealedMail is the part of a message that names a person.
type sealedMail struct {
	To      string            `json:"to"`
	Text    string            `json:"text"`
	Headers map[string]string `json:"headers,omitempty"`
}

func mailAD(org privaq.OrgID) []byte { return fmt.Appendf(nil, "mail_outbox:%d", org) }

// enqueueMail writes msgs to the outbox inside the caller's transaction.
func (db *DB) enqueueMail(ctx context.Context, tx *sql.Tx, now time.Time, msgs []mail.Message) error {
	_, err := db.queueMail(ctx, tx, now, msgs)
	return err
}

// queueMail is enqueueMail returning the id of each message, for the rows
// that follow a message's delivery (incident notices). The statement is
// prepared once: a list of people concerned may queue 10,000 messages.
func (db *DB) queueMail(ctx context.Context, tx *sql.Tx, now time.Time, msgs []mail.Message) ([]int64, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO mail_outbox (org_id, kind, ref, lang, subject, message_enc, status, next_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		dek, err := db.orgKey(ctx, tx, m.OrgID)
		if err != nil {
			return nil, err
		}
		plain, err := json.Marshal(sealedMail{To: m.To, Text: m.Text, Headers: m.Headers})
		if err != nil {
			return nil, err
		}
		if err := st.QueryRowContext(ctx, m.OrgID, m.Kind, m.Ref, m.Lang, m.Subject, dek.Seal(plain, mailAD(m.OrgID)),
			string(mail.StatusPending), micros(now), micros(now)).Scan(&ids[i]); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

const mailColumns = `id, org_id, kind, ref, lang, subject, message_enc, status, attempts, next_at, last_error, created_at, sent_at`

// scanMail reads a row of mailColumns; the sealed part is opened when open
// is set (sending, or a staff read that was audited).
func (db *DB) scanMails(ctx context.Context, rows *sql.Rows, open bool) ([]mail.Message, error) {
	var out []mail.Message
	var sealed [][]byte
	for rows.Next() {
		var m mail.Message
		var status string
		var enc []byte
		var next, created int64
		var sent sql.NullInt64
		if err := rows.Scan(&m.ID, &m.OrgID, &m.Kind, &m.Ref, &m.Lang, &m.Subject, &enc, &status, &m.Attempts,
			&next, &m.LastError, &created, &sent); err != nil {
			return nil, err
		}
		m.Status, m.NextAt, m.CreatedAt, m.SentAt = mail.Status(status), fromMicros(next), fromMicros(created), nullMicros(sent)
		out, sealed = append(out, m), append(sealed, enc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if !open {
		return out, nil
	}
	for i := range out {
		m := &out[i]
		dek, err := db.orgKey(ctx, db.r, m.OrgID)
		if err != nil {
			return nil, err
		}
		plain, err := dek.Open(sealed[i], mailAD(m.OrgID))
		if err != nil {
			return nil, fmt.Errorf("mail %d: %w", m.ID, err)
		}
		var s sealedMail
		if err := json.Unmarshal(plain, &s); err != nil {
			return nil, fmt.Errorf("mail %d: %w", m.ID, err)
		}
		m.To, m.Text, m.Headers = s.To, s.Text, s.Headers
	}
	return out, nil
}

// ClaimMail leases due messages with one conditional UPDATE that returns
// the rows it changed: when two nodes race for a row, the second finds it
// leased (PostgreSQL checks the condition again once the first commits),
// so only one of them counts it as claimed.
func (db *DB) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]mail.Message, error) {
	var ids []int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		due, err := dueIDs(ctx, tx, "mail_outbox", string(mail.StatusPending), now, limit)
		if err != nil || len(due) == 0 {
			return err
		}
		in, args := idList(due, 3)
		rows, err := tx.QueryContext(ctx, `UPDATE mail_outbox SET locked_until = $1, attempts = attempts + 1
			WHERE status = $2 AND locked_until <= $3 AND id IN (`+in+`) RETURNING id`,
			append([]any{micros(now.Add(lease)), string(mail.StatusPending), micros(now)}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil || len(ids) == 0 {
		return nil, db.dialect.mapError(err, "mail")
	}
	// One query for the whole lease: a list of 10,000 notices goes out
	// in 200 leases, not 10,000 reads.
	in, args := idList(ids, 0)
	rows, err := db.w.QueryContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE id IN (`+in+`) ORDER BY next_at, id`, args...)
	if err != nil {
		return nil, db.dialect.mapError(err, "mail")
	}
	defer rows.Close()
	return db.scanMails(ctx, rows, true)
}

// idList writes the placeholders $n+1… of ids, for an IN list.
func idList(ids []int64, n int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("$" + strconv.Itoa(n+i+1))
		args[i] = id
	}
	return b.String(), args
}

// MarkMailSent records the delivery of a lease's messages in one
// statement: one commit (one fsync) per lease instead of per message.
func (db *DB) MarkMailSent(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := idList(ids, 2)
	_, err := db.w.ExecContext(context.WithoutCancel(ctx), `UPDATE mail_outbox SET status = $1, sent_at = $2, locked_until = 0, last_error = ''
		WHERE id IN (`+in+`)`, append([]any{string(mail.StatusSent), micros(at)}, args...)...)
	return db.dialect.mapError(err, "mail")
}

// MarkMailFailed records a failed attempt and when to try again, or gives
// up when next is nil (next_at no longer matters then).
func (db *DB) MarkMailFailed(ctx context.Context, id int64, msg string, next *time.Time) error {
	status, at := mail.StatusFailed, int64(0)
	if next != nil {
		status, at = mail.StatusPending, micros(*next)
	}
	_, err := db.w.ExecContext(context.WithoutCancel(ctx), `UPDATE mail_outbox SET status = $1, next_at = $2,
		locked_until = 0, last_error = $3 WHERE id = $4`, string(status), at, msg, id)
	return db.dialect.mapError(err, "mail")
}

// Outbox lists an organization's messages, newest first, without their
// sealed part; before pages through older ones (0 for the newest).
func (db *DB) Outbox(ctx context.Context, org privaq.OrgID, before int64, limit int) ([]mail.Message, error) {
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE org_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, org, before, limit)
	if err != nil {
		return nil, db.dialect.mapError(err, "mail")
	}
	defer rows.Close()
	out, err := db.scanMails(ctx, rows, false)
	return out, db.dialect.mapError(err, "mail")
}

// OutboxMessage returns one message with its recipient and text.
func (db *DB) OutboxMessage(ctx context.Context, org privaq.OrgID, id int64) (mail.Message, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE org_id = $1 AND id = $2`, org, id)
	if err != nil {
		return mail.Message{}, db.dialect.mapError(err, "mail")
	}
	defer rows.Close()
	ms, err := db.scanMails(ctx, rows, true)
	if err == nil && len(ms) == 0 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return mail.Message{}, db.dialect.mapError(err, "message")
	}
	return ms[0], nil
}

// MailCounts counts an organization's messages about ref by status.
func (db *DB) MailCounts(ctx context.Context, org privaq.OrgID, ref string) (map[mail.Status]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM mail_outbox WHERE org_id = $1 AND ref = $2 GROUP BY status`, org, ref)
	if err != nil {
		return nil, db.dialect.mapError(err, "mail")
	}
	defer rows.Close()
	out := map[mail.Status]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[mail.Status(s)] = n
	}
	return out, db.dialect.mapError(rows.Err(), "mail")
}

// dueIDs lists up to limit rows of an outbox table (mail_outbox,
// webhook_deliveries) that are pending, due and not leased, oldest first;
// the caller leases each with a conditional UPDATE.
func dueIDs(ctx context.Context, tx *sql.Tx, table, pending string, now time.Time, limit int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM `+table+` WHERE status = $1 AND next_at <= $2 AND locked_until <= $2
		ORDER BY next_at, id LIMIT $3`, pending, micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var due []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		due = append(due, id)
	}
	return due, rows.Err()
}
