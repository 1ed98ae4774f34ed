package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
)

// The inventory is stored one row per item, in document order, with the
// item's JSON as written by encoding/json (kept as text, not JSONB, so that
// field order survives and exports are stable). The profile and policy
// settings live on the organization row; the officer's contact names a
// person, so it is sealed with the organization's key.

func officerAD(org privaq.OrgID) []byte { return fmt.Appendf(nil, "orgs.officer:%d", org) }

// Inventory returns an organization's inventory and its revision.
func (db *DB) Inventory(ctx context.Context, org privaq.OrgID) (*inventory.Document, int64, error) {
	return db.readInventory(ctx, db.r, org)
}

func (db *DB) readInventory(ctx context.Context, q querier, org privaq.OrgID) (*inventory.Document, int64, error) {
	var profile, policy string
	var officer []byte
	var rev int64
	err := q.QueryRowContext(ctx, `SELECT profile, policy, officer_enc, inventory_rev FROM orgs WHERE id = $1`, org).
		Scan(&profile, &policy, &officer, &rev)
	if err != nil {
		return nil, 0, db.dialect.mapError(err, "organization")
	}
	doc := &inventory.Document{}
	if err := json.Unmarshal([]byte(profile), &doc.Org); err != nil {
		return nil, 0, fmt.Errorf("profile of org %d: %w", org, err)
	}
	if err := json.Unmarshal([]byte(policy), &doc.Policy); err != nil {
		return nil, 0, fmt.Errorf("policy of org %d: %w", org, err)
	}
	if officer != nil {
		dek, err := db.orgKey(ctx, q, org)
		if err != nil {
			return nil, 0, err
		}
		plain, err := dek.Open(officer, officerAD(org))
		if err != nil {
			return nil, 0, fmt.Errorf("officer of org %d: %w", org, err)
		}
		if err := json.Unmarshal(plain, &doc.Officer); err != nil {
			return nil, 0, fmt.Errorf("officer of org %d: %w", org, err)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT collection, key, body FROM inventory_items WHERE org_id = $1 ORDER BY collection, position`, org)
	if err != nil {
		return nil, 0, db.dialect.mapError(err, "inventory")
	}
	defer rows.Close()
	for rows.Next() {
		var coll, key, body string
		if err := rows.Scan(&coll, &key, &body); err != nil {
			return nil, 0, err
		}
		c, ok := inventory.CollectionByName(coll)
		if !ok {
			return nil, 0, fmt.Errorf("inventory of org %d: unknown collection %q", org, coll)
		}
		item, _, err := c.Decode([]byte(body))
		if err != nil {
			return nil, 0, fmt.Errorf("inventory of org %d, %s/%s: %w", org, coll, key, err)
		}
		c.Put(doc, key, item)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	doc.Normalize()
	return doc, rev, nil
}

// UpdateInventory applies fn to the inventory in one transaction. The
// revision bump comes first: it takes the organization row's write lock
// (PostgreSQL) or the database write lock (SQLite), so concurrent writers of
// one organization apply their changes one after the other, never over a
// stale copy.
func (db *DB) UpdateInventory(ctx context.Context, org privaq.OrgID, e audit.Entry, fn func(*inventory.Document) error) (int64, error) {
	defer db.changedOrg()
	var rev int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `UPDATE orgs SET inventory_rev = inventory_rev + 1 WHERE id = $1 RETURNING inventory_rev`, org).Scan(&rev); err != nil {
			return db.dialect.mapError(err, "organization")
		}
		doc, _, err := db.readInventory(ctx, tx, org)
		if err != nil {
			return err
		}
		if err := fn(doc); err != nil {
			return err
		}
		if err := db.writeInventory(ctx, tx, org, doc); err != nil {
			return err
		}
		if e.Detail == nil {
			e.Detail = map[string]any{}
		}
		e.Detail["rev"] = rev
		return db.appendAudit(ctx, tx, e, db.now())
	})
	if err != nil {
		return 0, db.dialect.mapError(err, "inventory")
	}
	return rev, nil
}

// writeInventory replaces every stored part of the inventory with doc. An
// inventory holds hundreds of items at most, so rewriting it whole is cheap
// and leaves no room for a partial update.
func (db *DB) writeInventory(ctx context.Context, tx *sql.Tx, org privaq.OrgID, doc *inventory.Document) error {
	profile, err := json.Marshal(doc.Org)
	if err != nil {
		return err
	}
	policy, err := json.Marshal(doc.Policy)
	if err != nil {
		return err
	}
	var officer []byte
	if !doc.Officer.IsZero() {
		plain, err := json.Marshal(doc.Officer)
		if err != nil {
			return err
		}
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		officer = dek.Seal(plain, officerAD(org))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orgs SET profile = $1, policy = $2, officer_enc = $3 WHERE id = $4`, string(profile), string(policy), officer, org); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM inventory_items WHERE org_id = $1`, org); err != nil {
		return err
	}
	for _, c := range inventory.Collections {
		keys := c.Keys(doc)
		for i, item := range c.List(doc) {
			body, err := json.Marshal(item)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_items (org_id, collection, key, position, body) VALUES ($1, $2, $3, $4, $5)`,
				org, c.Name(), keys[i], i, string(body)); err != nil {
				return db.dialect.mapError(err, c.Name()+" "+keys[i])
			}
		}
	}
	return nil
}

// Revisions returns the organization's inventory revision and the number
// of published policy versions: a cheap check that a cached copy of what
// consents are validated against is still the one in force.
// Changes through this node are seen at once, through others within
// peerDelay (nodecache.go).
func (db *DB) Revisions(ctx context.Context, org privaq.OrgID) (inventory, published int64, err error) {
	rev, err := db.revisions.lookup(org, func() (rev [2]int64, err error) {
		err = db.pr.queryRow(ctx, `SELECT inventory_rev, (SELECT COUNT(*) FROM policy_versions WHERE org_id = $1 AND status <> 'draft')
		FROM orgs WHERE id = $1`, org).Scan(&rev[0], &rev[1])
		return rev, err
	})
	return rev[0], rev[1], db.dialect.mapError(err, "organization")
}

// changedOrg drops what this node cached of organizations after a write
// that changes their profile, inventory or published versions.
func (db *DB) changedOrg() {
	db.orgs.clear()
	db.revisions.clear()
}
