package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	pqmail "privaq/internal/mail"
	"privaq/internal/rights"
)

// Rights requests (migration 0008). What names or describes a person is
// sealed with the organization's key, bound to the organization and the
// request's reference; the workflow's dates and states are columns.

// requestPrivate is the sealed part of a request.
type requestPrivate struct {
	Requester   rights.Person       `json:"requester"`
	Represented *rights.Represented `json:"represented,omitempty"`
	Details     string              `json:"details,omitempty"`
	Identifiers map[string]string   `json:"identifiers,omitempty"`
	Identity    *rights.Identity    `json:"identity,omitempty"`
	Reasons     rights.Text         `json:"reasons"`
}

func requestAD(org privaq.OrgID, ref string) []byte {
	return fmt.Appendf(nil, "requests.person:%d:%s", org, ref)
}

func requestChildAD(table string, org privaq.OrgID, id rights.ID) []byte {
	return fmt.Appendf(nil, "%s:%d:%d", table, org, id)
}

const requestColumns = `r.id, r.org_id, r.reference, r.type, r.status, r.channel, r.law, r.lang, r.person_enc, r.articles, r.outcome,
	r.assignee_user_id, r.received_at, r.confirmed_at, r.due_at, r.original_due_at, r.extended_at, r.answered_at, r.closed_at,
	r.created_at, r.updated_at, au.email_idx, au.email_enc`

const requestFrom = ` FROM requests r LEFT JOIN users au ON au.id = r.assignee_user_id`

func (db *DB) scanRequest(ctx context.Context, q querier, row interface{ Scan(...any) error }) (rights.Request, error) {
	var r rights.Request
	var typ, status, channel, law, articles, outcome string
	var sealed, aIdx, aEnc []byte
	var assignee, confirmed, extended, answered, closed sql.NullInt64
	var received, due, origDue, created, updated int64
	err := row.Scan(&r.ID, &r.OrgID, &r.Reference, &typ, &status, &channel, &law, &r.Lang, &sealed, &articles, &outcome,
		&assignee, &received, &confirmed, &due, &origDue, &extended, &answered, &closed, &created, &updated, &aIdx, &aEnc)
	if err != nil {
		return r, err
	}
	r.Type, r.Status, r.Channel, r.Law, r.Outcome = rights.Type(typ), rights.Status(status), rights.Channel(channel), rights.Law(law), rights.Outcome(outcome)
	r.AssigneeID = privaq.UserID(assignee.Int64)
	r.ReceivedAt, r.ConfirmedAt, r.DueAt, r.OriginalDueAt = fromMicros(received), nullMicros(confirmed), fromMicros(due), fromMicros(origDue)
	r.ExtendedAt, r.AnsweredAt, r.ClosedAt, r.CreatedAt, r.UpdatedAt = nullMicros(extended), nullMicros(answered), nullMicros(closed), fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(articles), &r.Articles); err != nil {
		return r, fmt.Errorf("request %d articles: %w", r.ID, err)
	}
	if aEnc != nil {
		email, err := db.keys.instance.Open(aEnc, userAD(aIdx))
		if err != nil {
			return r, err
		}
		r.Assignee = string(email)
	}
	dek, err := db.orgKey(ctx, q, r.OrgID)
	if err != nil {
		return r, err
	}
	plain, err := dek.Open(sealed, requestAD(r.OrgID, r.Reference))
	if err != nil {
		return r, fmt.Errorf("request %d: %w", r.ID, err)
	}
	var p requestPrivate
	if err := json.Unmarshal(plain, &p); err != nil {
		return r, fmt.Errorf("request %d: %w", r.ID, err)
	}
	r.Requester, r.Represented, r.Details, r.Identifiers, r.Identity, r.Reasons = p.Requester, p.Represented, p.Details, p.Identifiers, p.Identity, p.Reasons
	if r.Identifiers == nil {
		r.Identifiers = map[string]string{}
	}
	if r.Articles == nil {
		r.Articles = []string{}
	}
	return r, nil
}

func (db *DB) sealRequest(ctx context.Context, q querier, r *rights.Request) (sealed []byte, articles string, err error) {
	dek, err := db.orgKey(ctx, q, r.OrgID)
	if err != nil {
		return nil, "", err
	}
	plain, err := json.Marshal(requestPrivate{Requester: r.Requester, Represented: r.Represented, Details: r.Details,
		Identifiers: r.Identifiers, Identity: r.Identity, Reasons: r.Reasons})
	if err != nil {
		return nil, "", err
	}
	arts := r.Articles
	if arts == nil {
		arts = []string{}
	}
	a, err := json.Marshal(arts)
	return dek.Seal(plain, requestAD(r.OrgID, r.Reference)), string(a), err
}

// requestEmailIndex is the blind index of a requester's email, per
// organization, so one person's requests can be found without storing
// the address in clear.
func (db *DB) requestEmailIndex(ctx context.Context, q querier, org privaq.OrgID, email string) ([]byte, error) {
	if email == "" {
		return nil, nil
	}
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return nil, err
	}
	return dek.Derive("request-email-index").Index(strings.ToLower(email)), nil
}

// CreateRequest numbers and stores a new request with its first events,
// letters and emails.
func (db *DB) CreateRequest(ctx context.Context, org privaq.OrgID, r *rights.Request, t rights.Tokens, e audit.Entry,
	fn func(*rights.Request) (rights.Change, error)) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_settings (org_id, updated_at) VALUES ($1, $2) ON CONFLICT (org_id) DO NOTHING`,
			org, micros(r.CreatedAt)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE request_settings SET last_number = last_number + 1 WHERE org_id = $1 RETURNING last_number`,
			org).Scan(&n); err != nil {
			return err
		}
		r.OrgID = org
		r.Reference = fmt.Sprintf("REQ-%d-%03d", r.ReceivedAt.Year(), n)
		c, err := fn(r)
		if err != nil {
			return err
		}
		sealed, articles, err := db.sealRequest(ctx, tx, r)
		if err != nil {
			return err
		}
		idx, err := db.requestEmailIndex(ctx, tx, org, r.Requester.Email)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO requests (org_id, number, reference, type, status, channel, law, lang, email_idx, person_enc,
			articles, outcome, assignee_user_id, received_at, confirmed_at, due_at, original_due_at, created_at, updated_at,
			confirm_hash, confirm_expires, status_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20, $21) RETURNING id`,
			org, n, r.Reference, string(r.Type), string(r.Status), string(r.Channel), string(r.Law), r.Lang, idx, sealed,
			articles, string(r.Outcome), nullID(r.AssigneeID), micros(r.ReceivedAt), nullTime(r.ConfirmedAt), micros(r.DueAt), micros(r.OriginalDueAt),
			micros(r.CreatedAt), nullBytes(t.ConfirmHash), nullTimeValue(t.ConfirmExpires), nullBytes(t.StatusHash)).Scan(&r.ID)
		if err != nil {
			return err
		}
		if err := db.applyChange(ctx, tx, org, r, c); err != nil {
			return err
		}
		e.Target = fmt.Sprintf("request/%d", r.ID)
		return db.appendAudit(ctx, tx, e, r.CreatedAt)
	})
	return db.dialect.mapError(err, "request")
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func nullTimeValue(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}

// applyChange writes a change's events, letters and emails.
func (db *DB) applyChange(ctx context.Context, tx *sql.Tx, org privaq.OrgID, r *rights.Request, c rights.Change) error {
	for _, ev := range c.Events {
		if err := db.addRequestEvent(ctx, tx, org, r.ID, ev); err != nil {
			return err
		}
	}
	now := r.UpdatedAt
	if len(c.Mail) > 0 {
		if err := db.enqueueMail(ctx, tx, now, c.Mail); err != nil {
			return err
		}
	}
	dek, err := db.orgKey(ctx, tx, org)
	if err != nil {
		return err
	}
	for _, l := range c.Letters {
		var mailID sql.NullInt64
		if l.Mail != nil {
			m := *l.Mail
			m.Ref = fmt.Sprintf("request/%d", r.ID)
			ids, err := db.queueMail(ctx, tx, now, []pqmail.Message{m})
			if err != nil {
				return err
			}
			mailID = sql.NullInt64{Int64: ids[0], Valid: true}
		}
		plain, err := json.Marshal(struct{ Subject, Text string }{l.Subject, l.Text})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_letters (org_id, request_id, kind, lang, created_at, mail_id, letter_enc)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, org, r.ID, string(l.Kind), l.Lang, micros(l.CreatedAt), mailID,
			dek.Seal(plain, requestChildAD("request_letters", org, r.ID))); err != nil {
			return err
		}
	}
	if t := c.Tokens; t != nil {
		if t.StatusHash != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE requests SET status_hash = $1, confirm_hash = NULL, confirm_expires = NULL WHERE id = $2`,
				t.StatusHash, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (db *DB) addRequestEvent(ctx context.Context, tx *sql.Tx, org privaq.OrgID, id rights.ID, ev rights.Event) error {
	detail := []byte("{}")
	if len(ev.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(ev.Detail); err != nil {
			return err
		}
	}
	var note []byte
	if ev.Note != "" {
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		note = dek.Seal([]byte(ev.Note), requestChildAD("request_events", org, id))
	}
	a := ev.Actor()
	kind := string(a.Kind)
	if kind == "" {
		kind = "requester"
		if ev.By != "" {
			kind = ev.By
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO request_events (org_id, request_id, at, actor_kind, actor_user_id, actor_token_id, action, detail, note_enc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, org, id, micros(ev.At), kind, nullID(a.UserID), nullID(a.TokenID), ev.Action, string(detail), nullBytes(note))
	return err
}

// requestFilter turns a filter into WHERE conditions after org_id = $1.
func requestFilter(f rights.Filter) (string, []any) {
	where, args := " AND r.status <> 'unconfirmed'", []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args)+1)
	}
	if f.Status != "" {
		add("r.status = $%d", string(f.Status))
	}
	if f.Type != "" {
		add("r.type = $%d", string(f.Type))
	}
	if f.Assignee != 0 {
		add("r.assignee_user_id = $%d", int64(f.Assignee))
	}
	if f.Open {
		where += " AND r.status IN ('received', 'verified', 'in_progress')"
	}
	return where, args
}

// Requests lists an organization's confirmed requests, open ones first by
// due date, then the closed ones newest first.
func (db *DB) Requests(ctx context.Context, org privaq.OrgID, f rights.Filter) ([]rights.Request, error) {
	where, args := requestFilter(f)
	return db.queryRequests(ctx, ` WHERE r.org_id = $1`+where+`
		ORDER BY CASE WHEN r.status IN ('received', 'verified', 'in_progress') THEN 0 ELSE 1 END,
		CASE WHEN r.status IN ('received', 'verified', 'in_progress') THEN r.due_at ELSE -r.received_at END, r.id`, append([]any{org}, args...)...)
}

// OpenRequests lists every organization's open requests, for reminders.
func (db *DB) OpenRequests(ctx context.Context) ([]rights.Request, error) {
	return db.queryRequests(ctx, ` WHERE r.status IN ('received', 'verified', 'in_progress') ORDER BY r.due_at`)
}

// queryRequests reads the requests a WHERE … ORDER BY clause selects.
func (db *DB) queryRequests(ctx context.Context, clause string, args ...any) ([]rights.Request, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+clause, args...)
	if err != nil {
		return nil, db.dialect.mapError(err, "requests")
	}
	defer rows.Close()
	var out []rights.Request
	for rows.Next() {
		r, err := db.scanRequest(ctx, db.r, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, db.dialect.mapError(rows.Err(), "requests")
}

// Request returns one request with its events and letters.
func (db *DB) Request(ctx context.Context, org privaq.OrgID, id rights.ID) (rights.Request, error) {
	r, err := db.loadRequest(ctx, db.r, org, id)
	if err != nil {
		return r, err
	}
	if r.Events, err = db.requestEvents(ctx, db.r, org, id); err != nil {
		return r, err
	}
	r.Letters, err = db.requestLetters(ctx, db.r, org, id)
	return r, err
}

func (db *DB) loadRequest(ctx context.Context, q querier, org privaq.OrgID, id rights.ID) (rights.Request, error) {
	r, err := db.scanRequest(ctx, q, q.QueryRowContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.org_id = $1 AND r.id = $2`, org, id))
	if err == sql.ErrNoRows {
		return r, privaq.Errorf(privaq.ENotFound, "request %d not found", id)
	}
	return r, err
}

func (db *DB) requestEvents(ctx context.Context, q querier, org privaq.OrgID, id rights.ID) ([]rights.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.at, e.actor_kind, e.action, e.detail, e.note_enc, u.email_idx, u.email_enc, t.name
		FROM request_events e LEFT JOIN users u ON u.id = e.actor_user_id LEFT JOIN tokens t ON t.id = e.actor_token_id
		WHERE e.org_id = $1 AND e.request_id = $2 ORDER BY e.id`, org, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return nil, err
	}
	out := []rights.Event{}
	for rows.Next() {
		var ev rights.Event
		var at int64
		var kind, detail string
		var note, idx, enc []byte
		var token sql.NullString
		if err := rows.Scan(&ev.ID, &at, &kind, &ev.Action, &detail, &note, &idx, &enc, &token); err != nil {
			return nil, err
		}
		ev.At = fromMicros(at)
		if ev.By, err = db.actorName(kind, idx, enc, token); err != nil {
			return nil, err
		}
		if detail != "{}" {
			if err := json.Unmarshal([]byte(detail), &ev.Detail); err != nil {
				return nil, err
			}
		}
		if note != nil {
			plain, err := dek.Open(note, requestChildAD("request_events", org, id))
			if err != nil {
				return nil, err
			}
			ev.Note = string(plain)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

func (db *DB) requestLetters(ctx context.Context, q querier, org privaq.OrgID, id rights.ID) ([]rights.Letter, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, lang, created_at, mail_id, letter_enc FROM request_letters
		WHERE org_id = $1 AND request_id = $2 ORDER BY id`, org, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return nil, err
	}
	out := []rights.Letter{}
	for rows.Next() {
		var l rights.Letter
		var kind string
		var at int64
		var mail sql.NullInt64
		var sealed []byte
		if err := rows.Scan(&l.ID, &kind, &l.Lang, &at, &mail, &sealed); err != nil {
			return nil, err
		}
		l.Kind, l.CreatedAt, l.MailID, l.Emailed = rights.LetterKind(kind), fromMicros(at), mail.Int64, mail.Valid
		plain, err := dek.Open(sealed, requestChildAD("request_letters", org, id))
		if err != nil {
			return nil, err
		}
		var t struct{ Subject, Text string }
		if err := json.Unmarshal(plain, &t); err != nil {
			return nil, err
		}
		l.Subject, l.Text = t.Subject, t.Text
		out = append(out, l)
	}
	return out, rows.Err()
}

// RequestByToken finds the request a public link's token names: a
// confirmation link not expired, or a status link.
func (db *DB) RequestByToken(ctx context.Context, org privaq.OrgID, kind rights.TokenKind, hash []byte, now time.Time) (rights.Request, error) {
	cond := `r.status_hash = $2`
	args := []any{org, hash}
	if kind == rights.TokenConfirm {
		cond = `r.confirm_hash = $2 AND r.confirm_expires > $3`
		args = append(args, micros(now))
	}
	r, err := db.scanRequest(ctx, db.r, db.r.QueryRowContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.org_id = $1 AND `+cond, args...))
	return r, db.dialect.mapError(err, "request")
}

// UpdateRequest changes a request under its row lock.
func (db *DB) UpdateRequest(ctx context.Context, org privaq.OrgID, id rights.ID, e audit.Entry, fn func(*rights.Request) (rights.Change, error)) (rights.Request, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var got int64
		err := tx.QueryRowContext(ctx, `UPDATE requests SET updated_at = updated_at WHERE org_id = $1 AND id = $2 RETURNING id`, org, id).Scan(&got)
		if err == sql.ErrNoRows {
			return privaq.Errorf(privaq.ENotFound, "request %d not found", id)
		} else if err != nil {
			return err
		}
		r, err := db.loadRequest(ctx, tx, org, id)
		if err != nil {
			return err
		}
		c, err := fn(&r)
		if err != nil {
			return err
		}
		sealed, articles, err := db.sealRequest(ctx, tx, &r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET status = $1, person_enc = $2, articles = $3, outcome = $4, assignee_user_id = $5,
			confirmed_at = $6, due_at = $7, extended_at = $8, answered_at = $9, closed_at = $10, updated_at = $11 WHERE id = $12`,
			string(r.Status), sealed, articles, string(r.Outcome), nullID(r.AssigneeID), nullTime(r.ConfirmedAt), micros(r.DueAt),
			nullTime(r.ExtendedAt), nullTime(r.AnsweredAt), nullTime(r.ClosedAt), micros(r.UpdatedAt), id); err != nil {
			return err
		}
		if err := db.applyChange(ctx, tx, org, &r, c); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, r.UpdatedAt)
	})
	if err != nil {
		return rights.Request{}, db.dialect.mapError(err, "request")
	}
	return db.Request(ctx, org, id)
}

// QueueRequestReminder queues a reminder once per request and threshold.
func (db *DB) QueueRequestReminder(ctx context.Context, org privaq.OrgID, id rights.ID, days int, now time.Time, msg pqmail.Message) (bool, error) {
	queued := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO request_reminders (request_id, days, org_id, queued_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (request_id, days) DO NOTHING`, id, days, org, micros(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		queued = true
		return db.enqueueMail(ctx, tx, now, []pqmail.Message{msg})
	})
	return queued, db.dialect.mapError(err, "reminder")
}

// UserEmail returns a staff member's email, for reminders.
func (db *DB) UserEmail(ctx context.Context, id privaq.UserID) (string, error) {
	u, err := db.UserByID(ctx, id)
	return u.Email, err
}
