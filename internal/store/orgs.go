package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/org"
)

// CreateOrg inserts an organization, its wrapped data key and its initial
// inventory in one transaction.
func (db *DB) CreateOrg(ctx context.Context, slug string, doc *inventory.Document, at time.Time, e audit.Entry) (org.Org, error) {
	var o org.Org
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO orgs (slug, profile, policy, created_at) VALUES ($1, '{}', '{}', $2) RETURNING id`,
			slug, micros(at)).Scan(&o.ID)
		if err != nil {
			return db.dialect.mapError(err, "organization "+slug)
		}
		dek, wrapped := db.keys.newOrgKey(o.ID)
		if _, err := tx.ExecContext(ctx, `INSERT INTO org_keys (org_id, wrapped, created_at) VALUES ($1, $2, $3)`, o.ID, wrapped, micros(at)); err != nil {
			return err
		}
		db.keys.mu.Lock()
		db.keys.orgs[o.ID] = dek
		db.keys.mu.Unlock()
		if err := db.writeInventory(ctx, tx, o.ID, doc); err != nil {
			return err
		}
		e.OrgID = o.ID
		return db.appendAudit(ctx, tx, e, at)
	})
	if err != nil {
		return o, db.dialect.mapError(err, "organization "+slug)
	}
	o.Slug, o.Name, o.Regime, o.CreatedAt = slug, doc.Org.Name, doc.Org.Regime, at
	return o, nil
}

const orgColumns = `id, slug, profile, created_at`

func scanOrg(row interface{ Scan(...any) error }) (org.Org, error) {
	var o org.Org
	var profile string
	var created int64
	if err := row.Scan(&o.ID, &o.Slug, &profile, &created); err != nil {
		return o, err
	}
	var p inventory.Profile
	if err := json.Unmarshal([]byte(profile), &p); err != nil {
		return o, fmt.Errorf("organization %d profile: %w", o.ID, err)
	}
	o.Name, o.Regime, o.CreatedAt = p.Name, p.Regime, fromMicros(created)
	return o, nil
}

// OrgBySlug finds an organization by its slug.
// It is cached for peerDelay (nodecache.go); saving the inventory through
// this node, which may rename the organization, drops the cached copies.
func (db *DB) OrgBySlug(ctx context.Context, slug string) (org.Org, error) {
	o, err := db.orgs.lookup(slug, func() (org.Org, error) {
		return scanOrg(db.pr.queryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE slug = $1`, slug))
	})
	return o, db.dialect.mapError(err, "organization")
}

// OrgByID finds an organization by id.
func (db *DB) OrgByID(ctx context.Context, id privaq.OrgID) (org.Org, error) {
	o, err := scanOrg(db.r.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
	return o, db.dialect.mapError(err, "organization")
}

// ListOrgs lists every organization, by slug.
func (db *DB) ListOrgs(ctx context.Context) ([]org.Org, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY slug`)
	if err != nil {
		return nil, db.dialect.mapError(err, "organizations")
	}
	defer rows.Close()
	var out []org.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
