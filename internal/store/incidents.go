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
)

// The register of confidentiality incidents (migration 0007). An
// incident's free texts are sealed together as one JSON object, bound to
// the organization and the incident's reference; its inventory keys are
// plain JSON. Children (history, assessments, disclosures, people) are
// sealed bound to the organization and the incident.

// incidentTexts is the sealed part of an incident.
type incidentTexts struct {
	Description              string                `json:"description,omitempty"`
	Cause                    string                `json:"cause,omitempty"`
	Information              string                `json:"information,omitempty"`
	InformationUnknownReason string                `json:"information_unknown_reason,omitempty"`
	Measures                 string                `json:"measures,omitempty"`
	NotificationPlan         string                `json:"notification_plan,omitempty"`
	OthersNotified           string                `json:"others_notified,omitempty"`
	PublicNoticeReason       string                `json:"public_notice_reason,omitempty"`
	PersonNotice             incident.PersonNotice `json:"person_notice"`
}

// incidentRefs are the inventory keys an incident names.
type incidentRefs struct {
	DataCategories []string `json:"data_categories"`
	Systems        []string `json:"systems"`
	Recipients     []string `json:"recipients"`
	CausedBy       string   `json:"caused_by,omitempty"`
}

func incidentAD(org privaq.OrgID, ref string) []byte {
	return fmt.Appendf(nil, "incidents.details:%d:%s", org, ref)
}

// childAD binds a sealed value of an incident's child table to the
// organization and the incident.
func childAD(table string, org privaq.OrgID, id incident.ID) []byte {
	return fmt.Appendf(nil, "%s:%d:%d", table, org, id)
}

const incidentColumns = `i.id, i.org_id, i.reference, i.kind, i.status, i.occurred_from, i.occurred_to, i.occurred_approximate, i.discovered_at,
	i.people_count, i.people_in_quebec, i.people_approximate, i.refs, i.details_enc, i.serious, i.assessed_at, i.cai_notified_at,
	i.persons_notified_at, i.public_notice_at, i.declared_at, i.updated_at, i.closed_at, i.destroyed_people, i.destroyed_with_email,
	i.destroyed_at, i.declared_by_kind, du.email_idx, du.email_enc, dt.name`

const incidentFrom = ` FROM incidents i LEFT JOIN users du ON du.id = i.declared_by_user_id LEFT JOIN tokens dt ON dt.id = i.declared_by_token_id`

// sealedIncident is a scanned incident whose texts are still sealed.
type sealedIncident struct {
	inc     incident.Incident
	details []byte
}

func (db *DB) scanIncident(row interface{ Scan(...any) error }) (sealedIncident, error) {
	var s sealedIncident
	inc := &s.inc
	var from, disc, declared, updated int64
	var to, assessed, cai, persons, public, closed, destroyedAt sql.NullInt64
	var count, quebec sql.NullInt64
	var serious sql.NullBool
	var refs, kind, status, byKind string
	var byIdx, byEnc []byte
	var token sql.NullString
	err := row.Scan(&inc.ID, &inc.OrgID, &inc.Reference, &kind, &status, &from, &to, &inc.OccurredApproximate, &disc,
		&count, &quebec, &inc.PeopleApproximate, &refs, &s.details, &serious, &assessed, &cai,
		&persons, &public, &declared, &updated, &closed, &inc.People.Imported, &inc.People.WithEmail,
		&destroyedAt, &byKind, &byIdx, &byEnc, &token)
	if err != nil {
		return s, err
	}
	inc.Kind, inc.Status = incident.Kind(kind), incident.Status(status)
	inc.OccurredFrom, inc.OccurredTo, inc.DiscoveredAt = fromMicros(from), nullMicros(to), fromMicros(disc)
	inc.PeopleCount, inc.PeopleInQuebec = nullInt(count), nullInt(quebec)
	if serious.Valid {
		inc.Serious = &serious.Bool
	}
	inc.AssessedAt, inc.CAINotifiedAt, inc.PersonsNotifiedAt, inc.PublicNoticeAt = nullMicros(assessed), nullMicros(cai), nullMicros(persons), nullMicros(public)
	inc.DeclaredAt, inc.UpdatedAt, inc.ClosedAt, inc.People.Destroyed = fromMicros(declared), fromMicros(updated), nullMicros(closed), nullMicros(destroyedAt)
	var r incidentRefs
	if err := json.Unmarshal([]byte(refs), &r); err != nil {
		return s, fmt.Errorf("incident %d refs: %w", inc.ID, err)
	}
	inc.DataCategories, inc.Systems, inc.Recipients, inc.CausedBy = r.DataCategories, r.Systems, r.Recipients, r.CausedBy
	inc.DeclaredBy, err = db.actorName(byKind, byIdx, byEnc, token)
	return s, err
}

func nullInt(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int64)
	return &n
}

func nullInt64(p *int) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

// actorName resolves who acted, as the audit log does: a staff email, a
// token's name, or the kind of actor.
func (db *DB) actorName(kind string, idx, enc []byte, token sql.NullString) (string, error) {
	switch {
	case enc != nil:
		email, err := db.keys.instance.Open(enc, userAD(idx))
		return string(email), err
	case token.Valid:
		return "token: " + token.String, nil
	}
	return kind, nil
}

// open unseals an incident's texts.
func (db *DB) openIncident(ctx context.Context, q querier, s *sealedIncident) error {
	dek, err := db.orgKey(ctx, q, s.inc.OrgID)
	if err != nil {
		return err
	}
	plain, err := dek.Open(s.details, incidentAD(s.inc.OrgID, s.inc.Reference))
	if err != nil {
		return fmt.Errorf("incident %d: %w", s.inc.ID, err)
	}
	var t incidentTexts
	if err := json.Unmarshal(plain, &t); err != nil {
		return fmt.Errorf("incident %d: %w", s.inc.ID, err)
	}
	d := &s.inc.Details
	d.Description, d.Cause, d.Information, d.InformationUnknownReason = t.Description, t.Cause, t.Information, t.InformationUnknownReason
	d.Measures, d.NotificationPlan, d.OthersNotified, d.PublicNoticeReason = t.Measures, t.NotificationPlan, t.OthersNotified, t.PublicNoticeReason
	d.PersonNotice = t.PersonNotice
	return nil
}

// sealIncident seals an incident's texts and writes its keys.
func (db *DB) sealIncident(ctx context.Context, q querier, inc *incident.Incident) (sealed []byte, refs string, err error) {
	dek, err := db.orgKey(ctx, q, inc.OrgID)
	if err != nil {
		return nil, "", err
	}
	plain, err := json.Marshal(incidentTexts{Description: inc.Description, Cause: inc.Cause, Information: inc.Information,
		InformationUnknownReason: inc.InformationUnknownReason, Measures: inc.Measures, NotificationPlan: inc.NotificationPlan,
		OthersNotified: inc.OthersNotified, PublicNoticeReason: inc.PublicNoticeReason, PersonNotice: inc.PersonNotice})
	if err != nil {
		return nil, "", err
	}
	r, err := json.Marshal(incidentRefs{DataCategories: nonNilKeys(inc.DataCategories), Systems: nonNilKeys(inc.Systems),
		Recipients: nonNilKeys(inc.Recipients), CausedBy: inc.CausedBy})
	return dek.Seal(plain, incidentAD(inc.OrgID, inc.Reference)), string(r), err
}

func nonNilKeys(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CreateIncident numbers and stores a new incident.
func (db *DB) CreateIncident(ctx context.Context, org privaq.OrgID, inc *incident.Incident, h incident.HistoryEntry, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_settings (org_id, overdue_hours, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (org_id) DO NOTHING`, org, incident.DefaultOverdueHours, micros(inc.DeclaredAt)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE incident_settings SET last_number = last_number + 1 WHERE org_id = $1 RETURNING last_number`,
			org).Scan(&n); err != nil {
			return err
		}
		inc.OrgID = org
		inc.Reference = fmt.Sprintf("INC-%d-%03d", inc.DeclaredAt.Year(), n)
		sealed, refs, err := db.sealIncident(ctx, tx, inc)
		if err != nil {
			return err
		}
		a := h.Actor
		err = tx.QueryRowContext(ctx, `INSERT INTO incidents (org_id, number, reference, kind, status, occurred_from, occurred_to, occurred_approximate,
			discovered_at, people_count, people_in_quebec, people_approximate, refs, details_enc, cai_notified_at, public_notice_at, declared_at,
			declared_by_kind, declared_by_user_id, declared_by_token_id, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $17) RETURNING id`,
			org, n, inc.Reference, string(inc.Kind), string(inc.Status), micros(inc.OccurredFrom), nullTime(inc.OccurredTo), inc.OccurredApproximate,
			micros(inc.DiscoveredAt), nullInt64(inc.PeopleCount), nullInt64(inc.PeopleInQuebec), inc.PeopleApproximate, refs, sealed,
			nullTime(inc.CAINotifiedAt), nullTime(inc.PublicNoticeAt), micros(inc.DeclaredAt), string(a.Kind), nullID(a.UserID), nullID(a.TokenID)).Scan(&inc.ID)
		if err != nil {
			return err
		}
		if err := db.addHistory(ctx, tx, org, inc.ID, h); err != nil {
			return err
		}
		e.Target = fmt.Sprintf("incident/%d", inc.ID)
		return db.appendAudit(ctx, tx, e, inc.DeclaredAt)
	})
	return db.dialect.mapError(err, "incident")
}

// historyDetail is the sealed part of a history entry.
type historyDetail struct {
	Changes []incident.Change `json:"changes,omitempty"`
	Counts  map[string]int    `json:"counts,omitempty"`
}

func (db *DB) addHistory(ctx context.Context, tx *sql.Tx, org privaq.OrgID, id incident.ID, h incident.HistoryEntry) error {
	dek, err := db.orgKey(ctx, tx, org)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(historyDetail{Changes: h.Changes, Counts: h.Counts})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incident_history (org_id, incident_id, at, actor_kind, actor_user_id, actor_token_id, action, detail_enc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, org, id, micros(h.At), string(h.Actor.Kind), nullID(h.Actor.UserID), nullID(h.Actor.TokenID),
		h.Action, dek.Seal(plain, childAD("incident_history", org, id)))
	return err
}

// listFilter turns a filter into WHERE conditions after org_id = $1.
func listFilter(f incident.Filter) (string, []any) {
	where, args := "", []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args)+1)
	}
	if f.Open != nil {
		status := string(incident.StatusClosed)
		if *f.Open {
			status = string(incident.StatusOpen)
		}
		add("i.status = $%d", status)
	}
	if f.Serious != nil {
		add("i.serious = $%d", *f.Serious)
	}
	if !f.From.IsZero() {
		add("i.discovered_at >= $%d", micros(f.From))
	}
	if !f.To.IsZero() {
		add("i.discovered_at < $%d", micros(f.To))
	}
	return where, args
}

// Incidents lists an organization's incidents, newest discovery first,
// with their counts and without their texts.
func (db *DB) Incidents(ctx context.Context, org privaq.OrgID, f incident.Filter) ([]incident.Incident, error) {
	where, args := listFilter(f)
	rows, err := db.r.QueryContext(ctx, `SELECT `+incidentColumns+incidentFrom+` WHERE i.org_id = $1`+where+
		` ORDER BY i.discovered_at DESC, i.id DESC`, append([]any{org}, args...)...)
	if err != nil {
		return nil, db.dialect.mapError(err, "incidents")
	}
	var out []incident.Incident
	for rows.Next() {
		s, err := db.scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s.inc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.dialect.mapError(err, "incidents")
	}
	return out, db.fillCounts(ctx, db.r, org, 0, out)
}

// fillCounts adds the people and notices counts of incs (of one incident
// when id is set).
func (db *DB) fillCounts(ctx context.Context, q querier, org privaq.OrgID, id incident.ID, incs []incident.Incident) error {
	if len(incs) == 0 {
		return nil
	}
	at := map[incident.ID]*incident.Counts{}
	for i := range incs {
		at[incs[i].ID] = &incs[i].People
	}
	one, args := "", []any{org}
	if id != 0 {
		one, args = " AND incident_id = $2", append(args, id)
	}
	rows, err := q.QueryContext(ctx, `SELECT incident_id, COUNT(*), SUM(CASE WHEN has_email THEN 1 ELSE 0 END) FROM incident_people
		WHERE org_id = $1`+one+` GROUP BY incident_id`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var iid incident.ID
		var n, withEmail int
		if err := rows.Scan(&iid, &n, &withEmail); err != nil {
			rows.Close()
			return err
		}
		if c := at[iid]; c != nil {
			c.Imported += n
			c.WithEmail += withEmail
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT n.incident_id, n.channel, CASE WHEN n.posted_at IS NULL THEN 0 ELSE 1 END, COALESCE(m.status, ''), COUNT(*)
		FROM incident_notices n LEFT JOIN mail_outbox m ON m.id = n.mail_id WHERE n.org_id = $1`+
		map[bool]string{true: " AND n.incident_id = $2", false: ""}[id != 0]+` GROUP BY 1, 2, 3, 4`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var iid incident.ID
		var channel, status string
		var posted, n int
		if err := rows.Scan(&iid, &channel, &posted, &status, &n); err != nil {
			return err
		}
		c := at[iid]
		if c == nil {
			continue
		}
		switch {
		case channel == string(incident.ChannelPost) && posted == 1:
			c.Posted += n
		case channel == string(incident.ChannelPost):
			c.ToPost += n
		case status == "pending":
			c.Queued += n
		case status == "failed":
			c.Failed += n
		default:
			c.Sent += n
		}
	}
	return rows.Err()
}

// Incident returns one incident with everything about it.
func (db *DB) Incident(ctx context.Context, org privaq.OrgID, id incident.ID) (incident.Incident, error) {
	inc, err := db.loadIncident(ctx, db.r, org, id)
	if err != nil {
		return inc, err
	}
	rows, err := db.assessmentRows(ctx, db.r, org, id)
	if err != nil {
		return inc, err
	}
	for _, a := range rows {
		inc.Assessments = append(inc.Assessments, a.Assessment)
	}
	if inc.Disclosures, err = db.disclosures(ctx, db.r, org, id); err != nil {
		return inc, err
	}
	inc.History, err = db.history(ctx, org, id)
	return inc, db.dialect.mapError(err, "incident")
}

// loadIncident reads one incident with its texts and counts.
func (db *DB) loadIncident(ctx context.Context, q querier, org privaq.OrgID, id incident.ID) (incident.Incident, error) {
	s, err := db.scanIncident(q.QueryRowContext(ctx, `SELECT `+incidentColumns+incidentFrom+` WHERE i.org_id = $1 AND i.id = $2`, org, id))
	if err != nil {
		return s.inc, db.dialect.mapError(err, "incident")
	}
	if err := db.openIncident(ctx, q, &s); err != nil {
		return s.inc, err
	}
	incs := []incident.Incident{s.inc}
	if err := db.fillCounts(ctx, q, org, id, incs); err != nil {
		return s.inc, err
	}
	return incs[0], nil
}

// Register returns every incident with its texts and latest assessment,
// in the order the organization learned of them.
func (db *DB) Register(ctx context.Context, org privaq.OrgID) ([]incident.Incident, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+incidentColumns+incidentFrom+` WHERE i.org_id = $1 ORDER BY i.discovered_at, i.id`, org)
	if err != nil {
		return nil, db.dialect.mapError(err, "incidents")
	}
	var sealed []sealedIncident
	for rows.Next() {
		s, err := db.scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		sealed = append(sealed, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.dialect.mapError(err, "incidents")
	}
	all, err := db.assessmentRows(ctx, db.r, org, 0)
	if err != nil {
		return nil, err
	}
	out := make([]incident.Incident, len(sealed))
	byID := map[incident.ID]*incident.Incident{}
	for i := range sealed {
		if err := db.openIncident(ctx, db.r, &sealed[i]); err != nil {
			return nil, err
		}
		out[i] = sealed[i].inc
		byID[out[i].ID] = &out[i]
	}
	// The rows come in id order: an incident's last one is its latest.
	for _, a := range all {
		if inc := byID[a.incident]; inc != nil {
			inc.Assessments = []incident.Assessment{a.Assessment}
		}
	}
	return out, db.fillCounts(ctx, db.r, org, 0, out)
}
