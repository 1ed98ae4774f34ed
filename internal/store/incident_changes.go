package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/incident"
)

// Changes to an incident, and what hangs off it: assessments,
// disclosures, history, settings.

// lockIncident takes the incident's row lock for the transaction (on
// PostgreSQL; SQLite's writer is alone) and fails with not_found for
// another organization's incident.
func lockIncident(ctx context.Context, tx *sql.Tx, org privaq.OrgID, id incident.ID) error {
	var got int64
	err := tx.QueryRowContext(ctx, `UPDATE incidents SET updated_at = updated_at WHERE org_id = $1 AND id = $2 RETURNING id`, org, id).Scan(&got)
	if err == sql.ErrNoRows {
		return privaq.Errorf(privaq.ENotFound, "incident %d not found", id)
	}
	return err
}

// saveIncident writes back an incident's fields.
func (db *DB) saveIncident(ctx context.Context, tx *sql.Tx, inc *incident.Incident) error {
	sealed, refs, err := db.sealIncident(ctx, tx, inc)
	if err != nil {
		return err
	}
	var serious sql.NullBool
	if inc.Serious != nil {
		serious = sql.NullBool{Bool: *inc.Serious, Valid: true}
	}
	_, err = tx.ExecContext(ctx, `UPDATE incidents SET kind = $1, status = $2, occurred_from = $3, occurred_to = $4, occurred_approximate = $5,
		discovered_at = $6, people_count = $7, people_in_quebec = $8, people_approximate = $9, refs = $10, details_enc = $11, serious = $12,
		assessed_at = $13, cai_notified_at = $14, persons_notified_at = $15, public_notice_at = $16, updated_at = $17, closed_at = $18
		WHERE org_id = $19 AND id = $20`,
		string(inc.Kind), string(inc.Status), micros(inc.OccurredFrom), nullTime(inc.OccurredTo), inc.OccurredApproximate,
		micros(inc.DiscoveredAt), nullInt64(inc.PeopleCount), nullInt64(inc.PeopleInQuebec), inc.PeopleApproximate, refs, sealed, serious,
		nullTime(inc.AssessedAt), nullTime(inc.CAINotifiedAt), nullTime(inc.PersonsNotifiedAt), nullTime(inc.PublicNoticeAt), micros(inc.UpdatedAt),
		nullTime(inc.ClosedAt), inc.OrgID, inc.ID)
	return err
}

// UpdateIncident runs fn on the locked incident and saves what it did.
func (db *DB) UpdateIncident(ctx context.Context, org privaq.OrgID, id incident.ID, e audit.Entry,
	fn func(inc *incident.Incident) (incident.Write, error)) (incident.Incident, error) {
	var out incident.Incident
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := lockIncident(ctx, tx, org, id); err != nil {
			return err
		}
		inc, err := db.loadIncident(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if inc.Assessments, err = db.assessmentList(ctx, tx, org, id); err != nil {
			return err
		}
		w, err := fn(&inc)
		if err != nil {
			return err
		}
		out = inc
		if w.History.Action == "" {
			return nil // nothing changed
		}
		if err := db.saveIncident(ctx, tx, &inc); err != nil {
			return err
		}
		if w.Assessment != nil {
			if err := db.addAssessment(ctx, tx, org, id, w.History.Actor, w.Assessment); err != nil {
				return err
			}
		}
		if w.Disclosure != nil {
			if err := db.addDisclosure(ctx, tx, org, id, w.History.Actor, w.Disclosure); err != nil {
				return err
			}
		}
		if err := db.addHistory(ctx, tx, org, id, w.History); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, w.History.At)
	})
	return out, db.dialect.mapError(err, "incident")
}

// DeleteIncident deletes an incident when check allows, with its children,
// and empties the outbox copies of its notices, which name people.
func (db *DB) DeleteIncident(ctx context.Context, org privaq.OrgID, id incident.ID, e audit.Entry, check func(incident.Incident) error) error {
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
		if err := db.forgetNoticeMail(ctx, tx, org, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM incidents WHERE org_id = $1 AND id = $2`, org, id); err != nil {
			return err
		}
		e.Detail = map[string]any{"reference": inc.Reference}
		return db.appendAudit(ctx, tx, e, db.now())
	})
	return db.dialect.mapError(err, "incident")
}

// assessmentRow is an assessment with its incident.
type assessmentRow struct {
	incident incident.ID
	incident.Assessment
}

// assessmentRows lists assessments in id order: of one incident, or of the
// whole organization when id is 0.
func (db *DB) assessmentRows(ctx context.Context, q querier, org privaq.OrgID, id incident.ID) ([]assessmentRow, error) {
	one, args := "", []any{org}
	if id != 0 {
		one, args = " AND a.incident_id = $2", append(args, id)
	}
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.incident_id, a.at, a.sensitivity, a.consequences, a.likelihood, a.serious, a.grounds_enc,
		a.actor_kind, u.email_idx, u.email_enc, t.name
		FROM incident_assessments a LEFT JOIN users u ON u.id = a.actor_user_id LEFT JOIN tokens t ON t.id = a.actor_token_id
		WHERE a.org_id = $1`+one+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return nil, err
	}
	var out []assessmentRow
	for rows.Next() {
		var a assessmentRow
		var at int64
		var s, c, l, kind string
		var grounds, idx, enc []byte
		var token sql.NullString
		if err := rows.Scan(&a.ID, &a.incident, &at, &s, &c, &l, &a.Serious, &grounds, &kind, &idx, &enc, &token); err != nil {
			return nil, err
		}
		a.At, a.Sensitivity, a.Consequences, a.Likelihood = fromMicros(at), incident.Level(s), incident.Level(c), incident.Level(l)
		plain, err := dek.Open(grounds, childAD("incident_assessments", org, a.incident))
		if err != nil {
			return nil, fmt.Errorf("assessment %d: %w", a.ID, err)
		}
		a.Grounds = string(plain)
		if a.By, err = db.actorName(kind, idx, enc, token); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (db *DB) assessmentList(ctx context.Context, q querier, org privaq.OrgID, id incident.ID) ([]incident.Assessment, error) {
	rows, err := db.assessmentRows(ctx, q, org, id)
	var out []incident.Assessment
	for _, a := range rows {
		out = append(out, a.Assessment)
	}
	return out, err
}

func (db *DB) addAssessment(ctx context.Context, tx *sql.Tx, org privaq.OrgID, id incident.ID, actor privaq.Actor, a *incident.Assessment) error {
	dek, err := db.orgKey(ctx, tx, org)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incident_assessments (org_id, incident_id, at, actor_kind, actor_user_id, actor_token_id,
		sensitivity, consequences, likelihood, serious, grounds_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		org, id, micros(a.At), string(actor.Kind), nullID(actor.UserID), nullID(actor.TokenID), string(a.Sensitivity), string(a.Consequences),
		string(a.Likelihood), a.Serious, dek.Seal([]byte(a.Grounds), childAD("incident_assessments", org, id)))
	return err
}

// sealedDisclosure is the sealed part of a disclosure.
type sealedDisclosure struct {
	Recipient   string `json:"recipient"`
	Information string `json:"information"`
	Reason      string `json:"reason"`
}

func (db *DB) addDisclosure(ctx context.Context, tx *sql.Tx, org privaq.OrgID, id incident.ID, actor privaq.Actor, d *incident.Disclosure) error {
	dek, err := db.orgKey(ctx, tx, org)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(sealedDisclosure{Recipient: d.Recipient, Information: d.Information, Reason: d.Reason})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incident_disclosures (org_id, incident_id, disclosed_at, recorded_at, actor_kind, actor_user_id,
		actor_token_id, disclosure_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		org, id, micros(d.At), micros(d.RecordedAt), string(actor.Kind), nullID(actor.UserID), nullID(actor.TokenID),
		dek.Seal(plain, childAD("incident_disclosures", org, id)))
	return err
}

func (db *DB) disclosures(ctx context.Context, q querier, org privaq.OrgID, id incident.ID) ([]incident.Disclosure, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.id, d.disclosed_at, d.recorded_at, d.disclosure_enc, d.actor_kind, u.email_idx, u.email_enc, t.name
		FROM incident_disclosures d LEFT JOIN users u ON u.id = d.actor_user_id LEFT JOIN tokens t ON t.id = d.actor_token_id
		WHERE d.org_id = $1 AND d.incident_id = $2 ORDER BY d.disclosed_at, d.id`, org, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return nil, err
	}
	var out []incident.Disclosure
	for rows.Next() {
		var d incident.Disclosure
		var at, rec int64
		var sealed, idx, enc []byte
		var kind string
		var token sql.NullString
		if err := rows.Scan(&d.ID, &at, &rec, &sealed, &kind, &idx, &enc, &token); err != nil {
			return nil, err
		}
		d.At, d.RecordedAt = fromMicros(at), fromMicros(rec)
		plain, err := dek.Open(sealed, childAD("incident_disclosures", org, id))
		if err != nil {
			return nil, fmt.Errorf("disclosure %d: %w", d.ID, err)
		}
		var s sealedDisclosure
		if err := json.Unmarshal(plain, &s); err != nil {
			return nil, err
		}
		d.Recipient, d.Information, d.Reason = s.Recipient, s.Information, s.Reason
		if d.RecordedBy, err = db.actorName(kind, idx, enc, token); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// history lists an incident's dated changes, oldest first.
func (db *DB) history(ctx context.Context, org privaq.OrgID, id incident.ID) ([]incident.HistoryEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT h.id, h.at, h.action, h.detail_enc, h.actor_kind, u.email_idx, u.email_enc, t.name
		FROM incident_history h LEFT JOIN users u ON u.id = h.actor_user_id LEFT JOIN tokens t ON t.id = h.actor_token_id
		WHERE h.org_id = $1 AND h.incident_id = $2 ORDER BY h.id`, org, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dek, err := db.orgKey(ctx, db.r, org)
	if err != nil {
		return nil, err
	}
	var out []incident.HistoryEntry
	for rows.Next() {
		var h incident.HistoryEntry
		var at int64
		var sealed, idx, enc []byte
		var kind string
		var token sql.NullString
		if err := rows.Scan(&h.ID, &at, &h.Action, &sealed, &kind, &idx, &enc, &token); err != nil {
			return nil, err
		}
		h.At, h.Actor.Kind = fromMicros(at), privaq.ActorKind(kind)
		plain, err := dek.Open(sealed, childAD("incident_history", org, id))
		if err != nil {
			return nil, fmt.Errorf("history %d: %w", h.ID, err)
		}
		var d historyDetail
		if err := json.Unmarshal(plain, &d); err != nil {
			return nil, err
		}
		h.Changes, h.Counts = d.Changes, d.Counts
		if h.By, err = db.actorName(kind, idx, enc, token); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// IncidentSettings returns an organization's incident settings, the
// defaults when it never changed them.
func (db *DB) IncidentSettings(ctx context.Context, org privaq.OrgID) (incident.Settings, error) {
	s := incident.Settings{OverdueHours: incident.DefaultOverdueHours}
	err := db.r.QueryRowContext(ctx, `SELECT overdue_hours, neq FROM incident_settings WHERE org_id = $1`, org).Scan(&s.OverdueHours, &s.NEQ)
	if err == sql.ErrNoRows {
		err = nil
	}
	return s, db.dialect.mapError(err, "incident settings")
}

// SetIncidentSettings saves an organization's incident settings.
func (db *DB) SetIncidentSettings(ctx context.Context, org privaq.OrgID, s incident.Settings, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_settings (org_id, overdue_hours, neq, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET overdue_hours = excluded.overdue_hours, neq = excluded.neq, updated_at = excluded.updated_at`,
			org, s.OverdueHours, s.NEQ, micros(now)); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, now)
	})
	return db.dialect.mapError(err, "incident settings")
}
