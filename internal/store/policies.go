package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/policy"
)

// Policy versions keep their inventory snapshot as JSON text, in the
// import/export shape, so a published version renders the same forever.

const versionColumns = `number, status, created_at, created_by_kind, created_by_user_id, created_by_token_id,
	effective_at, published_at, editorial, editorial_reason, summary_fr, summary_en, inventory_rev, significant, changes, notices, renewal`

func scanVersion(org privaq.OrgID, sc interface{ Scan(...any) error }, extra ...any) (policy.Version, error) {
	v := policy.Version{OrgID: org}
	var status, kind, changes, renewal string
	var created int64
	var user, token, effective, published sql.NullInt64
	dest := append([]any{&v.Number, &status, &created, &kind, &user, &token, &effective, &published,
		&v.Editorial, &v.Reason, &v.Summary.FR, &v.Summary.EN, &v.InventoryRev, &v.Significant, &changes, &v.Notices, &renewal}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return v, err
	}
	v.Status, v.CreatedAt, v.CreatedBy = policy.Status(status), fromMicros(created), privaq.ActorKind(kind)
	v.CreatedByUser, v.CreatedByToken = privaq.UserID(user.Int64), privaq.TokenID(token.Int64)
	v.EffectiveAt, v.PublishedAt = nullMicros(effective), nullMicros(published)
	if err := json.Unmarshal([]byte(changes), &v.Changes); err != nil {
		return v, fmt.Errorf("changes of policy version %d: %w", v.Number, err)
	}
	if err := json.Unmarshal([]byte(renewal), &v.Renewal); err != nil {
		return v, fmt.Errorf("renewal of policy version %d: %w", v.Number, err)
	}
	return v, nil
}

func policyOfficerAD(org privaq.OrgID, n int) []byte {
	return fmt.Appendf(nil, "policy_versions.officer:%d:%d", org, n)
}

// decodeSnapshot reads a version's inventory and opens its officer.
func (db *DB) decodeSnapshot(ctx context.Context, q querier, v *policy.Version, data string, officer []byte) error {
	doc, err := inventory.Parse([]byte(data), inventory.FormatJSON)
	if err != nil {
		return fmt.Errorf("inventory of policy version %d: %w", v.Number, err)
	}
	if officer != nil {
		dek, err := db.orgKey(ctx, q, v.OrgID)
		if err != nil {
			return err
		}
		plain, err := dek.Open(officer, policyOfficerAD(v.OrgID, v.Number))
		if err != nil {
			return fmt.Errorf("officer of policy version %d: %w", v.Number, err)
		}
		if err := json.Unmarshal(plain, &doc.Officer); err != nil {
			return fmt.Errorf("officer of policy version %d: %w", v.Number, err)
		}
	}
	v.Inventory = doc
	return nil
}

// encodeSnapshot writes a version's inventory without its officer, and
// the officer sealed.
func (db *DB) encodeSnapshot(ctx context.Context, q querier, v *policy.Version) (string, []byte, error) {
	doc := *v.Inventory
	doc.Officer = inventory.Officer{}
	data, err := json.Marshal(&doc)
	if err != nil {
		return "", nil, err
	}
	if v.Inventory.Officer.IsZero() {
		return string(data), nil, nil
	}
	plain, err := json.Marshal(v.Inventory.Officer)
	if err != nil {
		return "", nil, err
	}
	dek, err := db.orgKey(ctx, q, v.OrgID)
	if err != nil {
		return "", nil, err
	}
	return string(data), dek.Seal(plain, policyOfficerAD(v.OrgID, v.Number)), nil
}

// PolicyVersions lists an organization's versions in number order, without
// their snapshots.
func (db *DB) PolicyVersions(ctx context.Context, org privaq.OrgID) ([]policy.Version, error) {
	vs, err := db.listVersions(ctx, db.r, org, false)
	return vs, db.dialect.mapError(err, "policy versions")
}

func (db *DB) listVersions(ctx context.Context, q querier, org privaq.OrgID, withSnapshots bool) ([]policy.Version, error) {
	snapshot := `'', NULL`
	if withSnapshots {
		snapshot = `CASE WHEN status = 'draft' THEN '' ELSE inventory END, officer_enc`
	}
	rows, err := q.QueryContext(ctx, `SELECT `+versionColumns+`, `+snapshot+` FROM policy_versions WHERE org_id = $1 ORDER BY number`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []policy.Version
	var snaps []string
	var officers [][]byte
	for rows.Next() {
		var snap string
		var officer []byte
		v, err := scanVersion(org, rows, &snap, &officer)
		if err != nil {
			return nil, err
		}
		out, snaps, officers = append(out, v), append(snaps, snap), append(officers, officer)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// Decoding may read the organization's key: only once the rows are
	// closed, since SQLite's writer has a single connection.
	for i := range out {
		if snaps[i] != "" {
			if err := db.decodeSnapshot(ctx, q, &out[i], snaps[i], officers[i]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// PolicyVersion returns version n with its snapshot.
func (db *DB) PolicyVersion(ctx context.Context, org privaq.OrgID, n int) (policy.Version, error) {
	v, err := db.policyVersion(ctx, db.r, org, n)
	return v, db.dialect.mapError(err, "policy version")
}

func (db *DB) policyVersion(ctx context.Context, q querier, org privaq.OrgID, n int) (policy.Version, error) {
	var snap string
	var officer []byte
	v, err := scanVersion(org, q.QueryRowContext(ctx, `SELECT `+versionColumns+`, inventory, officer_enc FROM policy_versions WHERE org_id = $1 AND number = $2`, org, n), &snap, &officer)
	if err != nil {
		return v, err
	}
	return v, db.decodeSnapshot(ctx, q, &v, snap, officer)
}

// lockOrg takes the organization's write lock for the transaction (a row
// lock on PostgreSQL; SQLite's immediate transactions already hold the
// database's) and fails with not_found for an unknown organization.
func lockOrg(ctx context.Context, tx *sql.Tx, org privaq.OrgID) error {
	var id int64
	return tx.QueryRowContext(ctx, `UPDATE orgs SET inventory_rev = inventory_rev WHERE id = $1 RETURNING id`, org).Scan(&id)
}

// CreatePolicyDraft numbers and inserts the draft fn builds.
func (db *DB) CreatePolicyDraft(ctx context.Context, org privaq.OrgID, e audit.Entry,
	fn func(doc *inventory.Document, rev int64, versions []policy.Version) (*policy.Version, error)) (policy.Version, error) {
	var out policy.Version
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := lockOrg(ctx, tx, org); err != nil {
			return db.dialect.mapError(err, "organization")
		}
		doc, rev, err := db.readInventory(ctx, tx, org)
		if err != nil {
			return err
		}
		vs, err := db.listVersions(ctx, tx, org, true)
		if err != nil {
			return err
		}
		v, err := fn(doc, rev, vs)
		if err != nil {
			return err
		}
		v.Number = 1
		if len(vs) > 0 {
			v.Number = vs[len(vs)-1].Number + 1
		}
		v.OrgID = org
		snap, officer, err := db.encodeSnapshot(ctx, tx, v)
		if err != nil {
			return err
		}
		changes, renewal, err := changesJSON(v)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (org_id, number, status, created_at, created_by_kind,
			created_by_user_id, created_by_token_id, inventory_rev, inventory, officer_enc, significant, changes, renewal)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			org, v.Number, string(policy.StatusDraft), micros(v.CreatedAt), string(v.CreatedBy),
			nullID(v.CreatedByUser), nullID(v.CreatedByToken), v.InventoryRev, snap, officer, v.Significant, changes, renewal); err != nil {
			return err
		}
		e.Target = fmt.Sprintf("policy/%d", v.Number)
		if e.Detail == nil {
			e.Detail = map[string]any{}
		}
		e.Detail["rev"], e.Detail["significant"] = rev, v.Significant
		out = *v
		return db.appendAudit(ctx, tx, e, db.now())
	})
	return out, db.dialect.mapError(err, "policy version")
}

// PublishPolicy saves the publication fields fn sets on version n and
// queues the change notices when they are due.
func (db *DB) PublishPolicy(ctx context.Context, org privaq.OrgID, n int, e audit.Entry,
	fn func(v *policy.Version, versions []policy.Version) error,
	notices func(v *policy.Version, subs []policy.Subscriber) []mail.Message) (policy.Version, error) {
	defer db.changedOrg()
	var out policy.Version
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := lockOrg(ctx, tx, org); err != nil {
			return db.dialect.mapError(err, "organization")
		}
		v, err := db.policyVersion(ctx, tx, org, n)
		if err != nil {
			return db.dialect.mapError(err, "policy version")
		}
		vs, err := db.listVersions(ctx, tx, org, true)
		if err != nil {
			return err
		}
		if err := fn(&v, vs); err != nil {
			return err
		}
		changes, renewal, err := changesJSON(&v)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE policy_versions SET status = $1, effective_at = $2, published_at = $3,
			editorial = $4, editorial_reason = $5, summary_fr = $6, summary_en = $7, significant = $8, changes = $9, renewal = $10
			WHERE org_id = $11 AND number = $12 AND status = 'draft'`,
			string(policy.StatusPublished), micros(*v.EffectiveAt), micros(*v.PublishedAt),
			v.Editorial, v.Reason, v.Summary.FR, v.Summary.EN, v.Significant, changes, renewal, org, n)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return privaq.Errorf(privaq.EConflict, "version %d is already published", n)
		}
		if v.NoticeDue && notices != nil {
			subs, err := db.confirmedSubscribers(ctx, tx, org)
			if err != nil {
				return err
			}
			msgs := notices(&v, subs)
			if err := db.enqueueMail(ctx, tx, *v.PublishedAt, msgs); err != nil {
				return err
			}
			v.Notices = len(msgs)
			if _, err := tx.ExecContext(ctx, `UPDATE policy_versions SET notices = $1 WHERE org_id = $2 AND number = $3`, v.Notices, org, n); err != nil {
				return err
			}
		}
		if e.Detail == nil {
			e.Detail = map[string]any{}
		}
		e.Detail["effective_at"] = v.EffectiveAt.Format("2006-01-02T15:04:05Z07:00")
		e.Detail["notices"] = v.Notices
		out = v
		return db.appendAudit(ctx, tx, e, db.now())
	})
	return out, db.dialect.mapError(err, "policy version")
}

// changesJSON writes a version's changes and renewal purposes as stored.
func changesJSON(v *policy.Version) (changes, renewal string, err error) {
	if v.Changes == nil {
		v.Changes = []policy.Change{}
	}
	if v.Renewal == nil {
		v.Renewal = []string{}
	}
	c, err := json.Marshal(v.Changes)
	if err != nil {
		return "", "", err
	}
	r, err := json.Marshal(v.Renewal)
	return string(c), string(r), err
}
