package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/incident"
	"privaq/internal/mail"
)

// The people concerned by an incident and their notices. A person's name,
// email and address are sealed together; has_email is kept in clear so
// that the counts need no key.

// sealedPerson is the sealed part of a person.
type sealedPerson struct {
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Address string `json:"address,omitempty"`
}

// AddPeople stores an imported list of people, all or none.
func (db *DB) AddPeople(ctx context.Context, org privaq.OrgID, id incident.ID, people []incident.Person, h incident.HistoryEntry, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := lockIncident(ctx, tx, org, id); err != nil {
			return err
		}
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		ad := childAD("incident_people", org, id)
		rows := make([][]any, len(people))
		for i, p := range people {
			plain, err := json.Marshal(sealedPerson{Name: p.Name, Email: p.Email, Address: p.Address})
			if err != nil {
				return err
			}
			rows[i] = []any{org, id, p.Line, p.Lang, p.Email != "", dek.Seal(plain, ad), micros(h.At)}
		}
		if err := db.insertRows(ctx, tx, `INSERT INTO incident_people (org_id, incident_id, line, lang, has_email, person_enc, imported_at) VALUES `,
			7, len(rows), "", func(i int) []any { return rows[i] }); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET updated_at = $1 WHERE org_id = $2 AND id = $3`, micros(h.At), org, id); err != nil {
			return err
		}
		if err := db.addHistory(ctx, tx, org, id, h); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, h.At)
	})
	return db.dialect.mapError(err, "incident")
}

// personColumns reads a person with where its notice stands.
const personColumns = `p.id, p.line, p.lang, p.person_enc, n.channel, n.created_at, n.posted_at, m.status, m.sent_at
	FROM incident_people p LEFT JOIN incident_notices n ON n.person_id = p.id LEFT JOIN mail_outbox m ON m.id = n.mail_id`

func (db *DB) scanPeople(ctx context.Context, q querier, org privaq.OrgID, id incident.ID, where string, args ...any) ([]incident.Person, error) {
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+personColumns+` WHERE p.org_id = $1 AND p.incident_id = $2`+where+` ORDER BY p.id`,
		append([]any{org, id}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ad := childAD("incident_people", org, id)
	var out []incident.Person
	for rows.Next() {
		var p incident.Person
		var sealed []byte
		var channel, status sql.NullString
		var created, posted, sent sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Line, &p.Lang, &sealed, &channel, &created, &posted, &status, &sent); err != nil {
			return nil, err
		}
		plain, err := dek.Open(sealed, ad)
		if err != nil {
			return nil, fmt.Errorf("person %d: %w", p.ID, err)
		}
		var s sealedPerson
		if err := json.Unmarshal(plain, &s); err != nil {
			return nil, err
		}
		p.Name, p.Email, p.Address = s.Name, s.Email, s.Address
		if channel.Valid {
			n := &incident.NoticeState{Channel: incident.Channel(channel.String), At: fromMicros(created.Int64)}
			switch {
			case n.Channel == incident.ChannelPost && posted.Valid:
				n.State, n.Done = incident.StatePosted, nullMicros(posted)
			case n.Channel == incident.ChannelPost:
				n.State = incident.StateToPost
			case status.String == string(mail.StatusPending):
				n.State = incident.StateQueued
			case status.String == string(mail.StatusFailed):
				n.State = incident.StateFailed
			default:
				n.State, n.Done = incident.StateSent, nullMicros(sent)
			}
			p.Notice = n
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// People returns the people concerned by an incident.
func (db *DB) People(ctx context.Context, org privaq.OrgID, id incident.ID) ([]incident.Person, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE org_id = $1 AND id = $2`, org, id).Scan(&n); err != nil || n == 0 {
		if err == nil {
			err = sql.ErrNoRows
		}
		return nil, db.dialect.mapError(err, "incident")
	}
	people, err := db.scanPeople(ctx, db.r, org, id, "")
	return people, db.dialect.mapError(err, "people")
}

// SendNotices queues a notice for each person without one.
func (db *DB) SendNotices(ctx context.Context, org privaq.OrgID, id incident.ID, now time.Time, e audit.Entry,
	fn func(inc *incident.Incident, pending []incident.Person) (incident.HistoryEntry, error),
	msg func(p incident.Person) (mail.Message, error)) (incident.Sent, error) {
	var sent incident.Sent
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := lockIncident(ctx, tx, org, id); err != nil {
			return err
		}
		inc, err := db.loadIncident(ctx, tx, org, id)
		if err != nil {
			return err
		}
		pending, err := db.scanPeople(ctx, tx, org, id, " AND n.id IS NULL")
		if err != nil {
			return err
		}
		sent.Already = inc.People.Queued + inc.People.Sent + inc.People.Failed + inc.People.ToPost + inc.People.Posted
		if len(pending) > 0 {
			if err := db.queueNotices(ctx, tx, &inc, pending, now, e, fn, msg, &sent); err != nil {
				return err
			}
		}
		sent.ByPost, err = db.scanPeople(ctx, tx, org, id, " AND n.channel = $3 AND n.posted_at IS NULL", string(incident.ChannelPost))
		return err
	})
	if sent.ByPost == nil {
		sent.ByPost = []incident.Person{}
	}
	return sent, db.dialect.mapError(err, "incident")
}

func (db *DB) queueNotices(ctx context.Context, tx *sql.Tx, inc *incident.Incident, pending []incident.Person, now time.Time, e audit.Entry,
	fn func(inc *incident.Incident, pending []incident.Person) (incident.HistoryEntry, error),
	msg func(p incident.Person) (mail.Message, error), sent *incident.Sent) error {
	h, err := fn(inc, pending)
	if err != nil {
		return err
	}
	var msgs []mail.Message
	for _, p := range pending {
		if p.Email == "" {
			continue
		}
		m, err := msg(p)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	ids, err := db.queueMail(ctx, tx, now, msgs)
	if err != nil {
		return err
	}
	rows := make([][]any, len(pending))
	k := 0
	for i, p := range pending {
		if p.Email == "" {
			rows[i] = []any{inc.OrgID, inc.ID, p.ID, string(incident.ChannelPost), nil, micros(now)}
			sent.ToPost++
			continue
		}
		rows[i] = []any{inc.OrgID, inc.ID, p.ID, string(incident.ChannelEmail), ids[k], micros(now)}
		k++
	}
	sent.Queued = k
	if err := db.insertRows(ctx, tx, `INSERT INTO incident_notices (org_id, incident_id, person_id, channel, mail_id, created_at) VALUES `,
		6, len(rows), "", func(i int) []any { return rows[i] }); err != nil {
		return err
	}
	if err := db.saveIncident(ctx, tx, inc); err != nil {
		return err
	}
	if err := db.addHistory(ctx, tx, inc.OrgID, inc.ID, h); err != nil {
		return err
	}
	e.Detail = map[string]any{"emails": sent.Queued, "letters": sent.ToPost}
	return db.appendAudit(ctx, tx, e, now)
}

// MarkPosted records the letters to post as posted.
func (db *DB) MarkPosted(ctx context.Context, org privaq.OrgID, id incident.ID, at time.Time, h incident.HistoryEntry, e audit.Entry) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := lockIncident(ctx, tx, org, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE incident_notices SET posted_at = $1 WHERE org_id = $2 AND incident_id = $3 AND channel = $4
			AND posted_at IS NULL`, micros(at), org, id, string(incident.ChannelPost))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET persons_notified_at = COALESCE(persons_notified_at, $1), updated_at = $2
			WHERE org_id = $3 AND id = $4`, micros(at), micros(h.At), org, id); err != nil {
			return err
		}
		h.Counts = map[string]int{"letters": int(n)}
		if err := db.addHistory(ctx, tx, org, id, h); err != nil {
			return err
		}
		e.Detail = map[string]any{"letters": n}
		return db.appendAudit(ctx, tx, e, h.At)
	})
	return int(n), db.dialect.mapError(err, "incident")
}

// DestroyPeople deletes the list of people concerned, keeping its counts,
// and empties the outbox copies of their notices.
func (db *DB) DestroyPeople(ctx context.Context, org privaq.OrgID, id incident.ID, h incident.HistoryEntry, e audit.Entry,
	check func(incident.Incident) error) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := lockIncident(ctx, tx, org, id); err != nil {
			return err
		}
		inc, err := db.loadIncident(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if err := check(inc); err != nil {
			return err
		}
		var n, withEmail int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN has_email THEN 1 ELSE 0 END), 0) FROM incident_people
			WHERE org_id = $1 AND incident_id = $2`, org, id).Scan(&n, &withEmail); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := db.forgetNoticeMail(ctx, tx, org, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM incident_people WHERE org_id = $1 AND incident_id = $2`, org, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET destroyed_people = destroyed_people + $1, destroyed_with_email = destroyed_with_email + $2,
			destroyed_at = $3, updated_at = $3 WHERE org_id = $4 AND id = $5`, n, withEmail, micros(h.At), org, id); err != nil {
			return err
		}
		h.Counts = map[string]int{"people": n}
		if err := db.addHistory(ctx, tx, org, id, h); err != nil {
			return err
		}
		e.Detail = map[string]any{"people": n}
		return db.appendAudit(ctx, tx, e, h.At)
	})
	return db.dialect.mapError(err, "incident")
}

// forgetNoticeMail empties the recipient and text of the outbox rows of an
// incident's notices that are no longer waiting, so that destroying the
// list leaves no address behind; the rows stay as the record of delivery.
func (db *DB) forgetNoticeMail(ctx context.Context, tx *sql.Tx, org privaq.OrgID, id incident.ID) error {
	dek, err := db.orgKey(ctx, tx, org)
	if err != nil {
		return err
	}
	empty, err := json.Marshal(sealedMail{})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE mail_outbox SET message_enc = $1 WHERE org_id = $2 AND status <> $3
		AND id IN (SELECT mail_id FROM incident_notices WHERE org_id = $2 AND incident_id = $4 AND mail_id IS NOT NULL)`,
		dek.Seal(empty, mailAD(org)), org, string(mail.StatusPending), id)
	return err
}

// OpenSerious lists the open incidents assessed serious, of every
// organization, without their texts.
func (db *DB) OpenSerious(ctx context.Context) ([]incident.Incident, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+incidentColumns+incidentFrom+` WHERE i.status = $1 AND i.serious = $2 ORDER BY i.org_id, i.id`,
		string(incident.StatusOpen), true)
	if err != nil {
		return nil, db.dialect.mapError(err, "incidents")
	}
	defer rows.Close()
	var out []incident.Incident
	for rows.Next() {
		s, err := db.scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s.inc)
	}
	return out, db.dialect.mapError(rows.Err(), "incidents")
}

// QueueReminder queues the day's reminder of org unless it was queued.
func (db *DB) QueueReminder(ctx context.Context, org privaq.OrgID, day string, now time.Time, msgs []mail.Message) (bool, error) {
	queued := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO incident_reminders (org_id, day, queued_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, day) DO NOTHING`,
			org, day, micros(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		queued = true
		return db.enqueueMail(ctx, tx, now, msgs)
	})
	return queued, db.dialect.mapError(err, "incident reminder")
}
