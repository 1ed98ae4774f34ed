package store

import (
	"context"
	"database/sql"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/rights"
)

// Copies of identity documents kept at the officer's choice (migration
// 0009): the file name and the content sealed with the organization's key.

// AddDocument stores a copy with the file's event and audit entry.
func (db *DB) AddDocument(ctx context.Context, org privaq.OrgID, d *rights.Document, data []byte, ev rights.Event, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		ad := requestChildAD("request_documents", org, d.RequestID)
		if err := tx.QueryRowContext(ctx, `INSERT INTO request_documents (org_id, request_id, name_enc, content_type, size, data_enc, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, org, d.RequestID, dek.Seal([]byte(d.Name), ad), d.ContentType, d.Size,
			dek.Seal(data, ad), nullID(ev.Actor().UserID), micros(d.AddedAt)).Scan(&d.ID); err != nil {
			return err
		}
		ev.Detail["document"] = d.ID
		if err := db.addRequestEvent(ctx, tx, org, d.RequestID, ev); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, d.AddedAt)
	})
	return db.dialect.mapError(err, "document")
}

const documentColumns = `d.id, d.request_id, d.name_enc, d.content_type, d.size, d.added_at, u.email_idx, u.email_enc`

func (db *DB) scanDocument(ctx context.Context, org privaq.OrgID, row interface{ Scan(...any) error }, data *[]byte) (rights.Document, error) {
	var d rights.Document
	var name, idx, enc []byte
	var added int64
	dest := []any{&d.ID, &d.RequestID, &name, &d.ContentType, &d.Size, &added, &idx, &enc}
	if data != nil {
		dest = append(dest, data)
	}
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.AddedAt = fromMicros(added)
	dek, err := db.orgKey(ctx, db.r, org)
	if err != nil {
		return d, err
	}
	ad := requestChildAD("request_documents", org, d.RequestID)
	plain, err := dek.Open(name, ad)
	if err != nil {
		return d, err
	}
	d.Name = string(plain)
	if data != nil {
		if *data, err = dek.Open(*data, ad); err != nil {
			return d, err
		}
	}
	if enc != nil {
		d.AddedBy, err = db.actorName("user", idx, enc, sql.NullString{})
	}
	return d, err
}

// Documents lists a request's copies, oldest first.
func (db *DB) Documents(ctx context.Context, org privaq.OrgID, id rights.ID) ([]rights.Document, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+documentColumns+` FROM request_documents d LEFT JOIN users u ON u.id = d.added_by
		WHERE d.org_id = $1 AND d.request_id = $2 ORDER BY d.id`, org, id)
	if err != nil {
		return nil, db.dialect.mapError(err, "documents")
	}
	defer rows.Close()
	out := []rights.Document{}
	for rows.Next() {
		d, err := db.scanDocument(ctx, org, rows, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, db.dialect.mapError(rows.Err(), "documents")
}

// DocumentData returns one copy with its content.
func (db *DB) DocumentData(ctx context.Context, org privaq.OrgID, id rights.ID, doc int64) (rights.Document, []byte, error) {
	var data []byte
	d, err := db.scanDocument(ctx, org, db.r.QueryRowContext(ctx, `SELECT `+documentColumns+`, d.data_enc FROM request_documents d
		LEFT JOIN users u ON u.id = d.added_by WHERE d.org_id = $1 AND d.request_id = $2 AND d.id = $3`, org, id, doc), &data)
	if err == sql.ErrNoRows {
		return d, nil, privaq.Errorf(privaq.ENotFound, "document %d not found", doc)
	}
	return d, data, db.dialect.mapError(err, "document")
}

// DeleteDocuments destroys a request's copies, recording how many.
func (db *DB) DeleteDocuments(ctx context.Context, org privaq.OrgID, id rights.ID, ev rights.Event, e audit.Entry) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM request_documents WHERE org_id = $1 AND request_id = $2`, org, id)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if ev.Detail == nil {
			ev.Detail = map[string]any{}
		}
		ev.Detail["documents"] = n
		if err := db.addRequestEvent(ctx, tx, org, id, ev); err != nil {
			return err
		}
		if e.Detail == nil {
			e.Detail = map[string]any{}
		}
		e.Detail["documents"] = n
		return db.appendAudit(ctx, tx, e, ev.At)
	})
	return int(n), db.dialect.mapError(err, "documents")
}

// DocumentRequests lists the requests, of every organization, that have
// kept copies.
func (db *DB) DocumentRequests(ctx context.Context) ([]rights.Request, error) {
	return db.queryRequests(ctx, ` WHERE r.id IN (SELECT request_id FROM request_documents) ORDER BY r.id`)
}
