package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"privaq"
	"privaq/internal/audit"
)

func (db *DB) now() time.Time { return privaq.SystemClock{}.Now() }

// AppendAudit writes one audit entry on its own.
func (db *DB) AppendAudit(ctx context.Context, e audit.Entry) error {
	return db.dialect.mapError(db.appendAudit(context.WithoutCancel(ctx), db.w, e, db.now()), "audit entry")
}

func (db *DB) appendAudit(ctx context.Context, q querier, e audit.Entry, at time.Time) error {
	if !e.At.IsZero() {
		at = e.At
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return err
		}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit_log (org_id, at, actor_kind, actor_user_id, actor_token_id, action, target, detail, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		nullID(e.OrgID), micros(at), string(e.Kind), nullID(e.UserID), nullID(e.TokenID), e.Action, e.Target, string(detail), e.IP)
	return err
}

// ListAudit lists an organization's entries, newest first. Entries of no
// organization (failed sign-ins, sign-ins before any membership) are never
// shown to a tenant: adding an account to one's organization must not
// reveal what that person did elsewhere.
func (db *DB) ListAudit(ctx context.Context, org privaq.OrgID, f audit.Filter) ([]audit.Entry, error) {
	before := f.Before
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := db.r.QueryContext(ctx, `SELECT a.id, a.at, a.actor_kind, a.actor_user_id, a.actor_token_id, a.action, a.target, a.detail, a.ip,
			u.email_idx, u.email_enc, t.name
		FROM audit_log a
		LEFT JOIN users u ON u.id = a.actor_user_id
		LEFT JOIN tokens t ON t.id = a.actor_token_id
		WHERE a.org_id = $1 AND a.id < $2 AND a.action LIKE $3
		ORDER BY a.id DESC LIMIT $4`, org, before, f.Action+"%", f.Limit)
	if err != nil {
		return nil, db.dialect.mapError(err, "audit log")
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		var uid, tid sql.NullInt64
		var kind, detail string
		var emailIdx, emailEnc []byte
		var tokenName sql.NullString
		if err := rows.Scan(&e.ID, &at, &kind, &uid, &tid, &e.Action, &e.Target, &detail, &e.IP, &emailIdx, &emailEnc, &tokenName); err != nil {
			return nil, err
		}
		e.OrgID, e.At, e.Kind = org, fromMicros(at), privaq.ActorKind(kind)
		e.UserID, e.TokenID = privaq.UserID(uid.Int64), privaq.TokenID(tid.Int64)
		switch {
		case emailEnc != nil:
			email, err := db.keys.instance.Open(emailEnc, userAD(emailIdx))
			if err != nil {
				return nil, err
			}
			e.Actor = string(email)
		case tokenName.Valid:
			e.Actor = "token: " + tokenName.String
		default:
			e.Actor = kind
		}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
