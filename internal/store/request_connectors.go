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
	"privaq/internal/connector"
	"privaq/internal/rights"
)

// Connectors, access archives, erasure and rectification runs, and the
// destruction log (migration 0008).

func connectorAD(org privaq.OrgID, key string) []byte {
	return fmt.Appendf(nil, "connectors.dsn:%d:%s", org, key)
}

// CreateConnector stores a connector with its DSN sealed.
func (db *DB) CreateConnector(ctx context.Context, org privaq.OrgID, c rights.Connector, dsn string, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		tables, err := json.Marshal(c.Tables)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO connectors (org_id, key, kind, dsn_enc, tables, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, org, c.Key, string(c.Kind), dek.Seal([]byte(dsn), connectorAD(org, c.Key)), string(tables),
			micros(c.CreatedAt)); err != nil {
			if db.dialect.isUnique(err) {
				return &privaq.Error{Code: privaq.EConflict, Field: "key", Message: fmt.Sprintf("a connector %q already exists", c.Key),
					FR: fmt.Sprintf("Un connecteur « %s » existe déjà.", c.Key), Err: err}
			}
			return err
		}
		return db.appendAudit(ctx, tx, e, c.CreatedAt)
	})
	return db.dialect.mapError(err, "connector")
}

const connectorColumns = `key, kind, dsn_enc, tables, report, tested_at, test_error, created_at, updated_at`

func scanConnector(row interface{ Scan(...any) error }) (rights.Connector, []byte, error) {
	var c rights.Connector
	var kind, tables, report string
	var sealed []byte
	var tested sql.NullInt64
	var created, updated int64
	if err := row.Scan(&c.Key, &kind, &sealed, &tables, &report, &tested, &c.TestError, &created, &updated); err != nil {
		return c, nil, err
	}
	c.Kind, c.TestedAt, c.CreatedAt, c.UpdatedAt = connector.Kind(kind), nullMicros(tested), fromMicros(created), fromMicros(updated)
	// The column holds the test's error in English, then on a second line
	// in French.
	c.TestError, c.TestErrorFR, _ = strings.Cut(c.TestError, "\n")
	if err := json.Unmarshal([]byte(tables), &c.Tables); err != nil {
		return c, nil, err
	}
	if report != "" {
		c.Report = new(connector.Report)
		if err := json.Unmarshal([]byte(report), c.Report); err != nil {
			return c, nil, err
		}
	}
	return c, sealed, nil
}

// Connectors lists an organization's connectors by key.
func (db *DB) Connectors(ctx context.Context, org privaq.OrgID) ([]rights.Connector, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+connectorColumns+` FROM connectors WHERE org_id = $1 ORDER BY key`, org)
	if err != nil {
		return nil, db.dialect.mapError(err, "connectors")
	}
	defer rows.Close()
	out := []rights.Connector{}
	for rows.Next() {
		c, _, err := scanConnector(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, db.dialect.mapError(rows.Err(), "connectors")
}

// ConnectorDSN returns a connector and its unsealed DSN.
func (db *DB) ConnectorDSN(ctx context.Context, org privaq.OrgID, key string) (rights.Connector, string, error) {
	c, sealed, err := scanConnector(db.r.QueryRowContext(ctx, `SELECT `+connectorColumns+` FROM connectors WHERE org_id = $1 AND key = $2`, org, key))
	if err == sql.ErrNoRows {
		return c, "", privaq.Errorf(privaq.ENotFound, "connector %q not found", key)
	}
	if err != nil {
		return c, "", db.dialect.mapError(err, "connector")
	}
	dek, err := db.orgKey(ctx, db.r, org)
	if err != nil {
		return c, "", err
	}
	dsn, err := dek.Open(sealed, connectorAD(org, key))
	return c, string(dsn), err
}

func testError(c rights.Connector) string {
	if c.TestErrorFR == "" || c.TestErrorFR == c.TestError {
		return c.TestError
	}
	return c.TestError + "\n" + c.TestErrorFR
}

// UpdateConnector changes a connector's mapping or test outcome.
func (db *DB) UpdateConnector(ctx context.Context, org privaq.OrgID, key string, e audit.Entry, fn func(*rights.Connector) error) (rights.Connector, error) {
	var out rights.Connector
	err := db.tx(ctx, func(tx *sql.Tx) error {
		c, _, err := scanConnector(tx.QueryRowContext(ctx, `SELECT `+connectorColumns+` FROM connectors WHERE org_id = $1 AND key = $2`, org, key))
		if err == sql.ErrNoRows {
			return privaq.Errorf(privaq.ENotFound, "connector %q not found", key)
		} else if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		tables, err := json.Marshal(c.Tables)
		if err != nil {
			return err
		}
		report := ""
		if c.Report != nil {
			b, err := json.Marshal(c.Report)
			if err != nil {
				return err
			}
			report = string(b)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE connectors SET tables = $1, report = $2, tested_at = $3, test_error = $4, updated_at = $5
			WHERE org_id = $6 AND key = $7`, string(tables), report, nullTime(c.TestedAt), testError(c), micros(c.UpdatedAt), org, key); err != nil {
			return err
		}
		out = c
		return db.appendAudit(ctx, tx, e, db.now())
	})
	return out, db.dialect.mapError(err, "connector")
}

// DeleteConnector deletes a connector and its sealed DSN.
func (db *DB) DeleteConnector(ctx context.Context, org privaq.OrgID, key string, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM connectors WHERE org_id = $1 AND key = $2`, org, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return privaq.Errorf(privaq.ENotFound, "connector %q not found", key)
		}
		return db.appendAudit(ctx, tx, e, db.now())
	})
	return db.dialect.mapError(err, "connector")
}

// SaveExport stores an access archive, sealed, with its event.
func (db *DB) SaveExport(ctx context.Context, org privaq.OrgID, x *rights.Export, zip []byte, ev rights.Event, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO request_exports (org_id, request_id, created_at, expires_at, size, row_count, data_enc)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, org, x.RequestID, micros(x.CreatedAt), micros(x.ExpiresAt), x.Size, x.Rows,
			dek.Seal(zip, requestChildAD("request_exports", org, x.RequestID))).Scan(&x.ID); err != nil {
			return err
		}
		ev.Detail["export"] = x.ID
		if err := db.addRequestEvent(ctx, tx, org, x.RequestID, ev); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, x.CreatedAt)
	})
	return db.dialect.mapError(err, "export")
}

// Exports lists a request's archives, newest first.
func (db *DB) Exports(ctx context.Context, org privaq.OrgID, id rights.ID) ([]rights.Export, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, request_id, created_at, expires_at, size, row_count, downloaded_at FROM request_exports
		WHERE org_id = $1 AND request_id = $2 ORDER BY id DESC`, org, id)
	if err != nil {
		return nil, db.dialect.mapError(err, "exports")
	}
	defer rows.Close()
	out := []rights.Export{}
	for rows.Next() {
		var x rights.Export
		var created, expires int64
		var down sql.NullInt64
		if err := rows.Scan(&x.ID, &x.RequestID, &created, &expires, &x.Size, &x.Rows, &down); err != nil {
			return nil, err
		}
		x.CreatedAt, x.ExpiresAt, x.Downloaded = fromMicros(created), fromMicros(expires), nullMicros(down)
		out = append(out, x)
	}
	return out, rows.Err()
}

// ExportData returns an archive and, when downloaded is set, records its
// first download.
func (db *DB) ExportData(ctx context.Context, org privaq.OrgID, id rights.ID, export int64, downloaded *time.Time) (rights.Export, []byte, error) {
	var x rights.Export
	var created, expires int64
	var down sql.NullInt64
	var sealed []byte
	err := db.r.QueryRowContext(ctx, `SELECT id, request_id, created_at, expires_at, size, row_count, downloaded_at, data_enc FROM request_exports
		WHERE org_id = $1 AND request_id = $2 AND id = $3`, org, id, export).Scan(&x.ID, &x.RequestID, &created, &expires, &x.Size, &x.Rows, &down, &sealed)
	if err != nil {
		return x, nil, db.dialect.mapError(err, "export")
	}
	x.CreatedAt, x.ExpiresAt, x.Downloaded = fromMicros(created), fromMicros(expires), nullMicros(down)
	dek, err := db.orgKey(ctx, db.r, org)
	if err != nil {
		return x, nil, err
	}
	if len(sealed) == 0 {
		return x, nil, &privaq.Error{Code: privaq.ENotFound, Message: "this archive expired and was destroyed; make a new one if needed",
			FR: "Cette archive a expiré et a été détruite ; produisez-en une nouvelle au besoin."}
	}
	data, err := dek.Open(sealed, requestChildAD("request_exports", org, id))
	if err != nil {
		return x, nil, err
	}
	// An expired archive is not delivered, so its download is not marked.
	if downloaded != nil && x.Downloaded == nil && downloaded.Before(x.ExpiresAt) {
		if _, err := db.w.ExecContext(ctx, `UPDATE request_exports SET downloaded_at = $1 WHERE id = $2 AND downloaded_at IS NULL`,
			micros(*downloaded), x.ID); err != nil {
			return x, nil, db.dialect.mapError(err, "export")
		}
		x.Downloaded = downloaded
	}
	return x, data, nil
}

// PurgeExports empties the sealed data of expired archives: the row stays,
// with its counts and dates, as the record that one was made and
// delivered.
func (db *DB) PurgeExports(ctx context.Context, now time.Time) (int, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE request_exports SET data_enc = $1, size = 0 WHERE expires_at <= $2 AND size > 0`, []byte{}, micros(now))
	if err != nil {
		return 0, db.dialect.mapError(err, "exports")
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// runPrivate is the sealed part of a run.
type runPrivate struct {
	Samples     []rights.Sample     `json:"samples"`
	Corrections []rights.Correction `json:"corrections,omitempty"`
	Fingerprint string              `json:"fingerprint,omitempty"`
}

// CreateRun stores a planned run with its event.
func (db *DB) CreateRun(ctx context.Context, org privaq.OrgID, r *rights.Run, ev rights.Event, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		plan, err := json.Marshal(nonNilPlan(r.Plan))
		if err != nil {
			return err
		}
		priv, err := json.Marshal(runPrivate{Samples: r.Samples, Corrections: r.Corrections, Fingerprint: r.Fingerprint})
		if err != nil {
			return err
		}
		a := ev.Actor()
		if err := tx.QueryRowContext(ctx, `INSERT INTO request_runs (org_id, request_id, kind, status, plan, private_enc, planned_by_kind,
			planned_by_user_id, planned_by_token_id, planned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			org, r.RequestID, string(r.Kind), string(r.Status), string(plan), dek.Seal(priv, requestChildAD("request_runs", org, r.RequestID)),
			string(a.Kind), nullID(a.UserID), nullID(a.TokenID), micros(r.PlannedAt)).Scan(&r.ID); err != nil {
			return err
		}
		ev.Detail["run"] = r.ID
		if err := db.addRequestEvent(ctx, tx, org, r.RequestID, ev); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, r.PlannedAt)
	})
	return db.dialect.mapError(err, "run")
}

func nonNilPlan(p []rights.PlanTable) []rights.PlanTable {
	if p == nil {
		return []rights.PlanTable{}
	}
	return p
}

// The planner's user is the token's creator for a run planned with a
// token: the person behind it may not approve it either.
const runColumns = `x.id, x.request_id, x.kind, x.status, x.plan, x.private_enc, x.planned_by_kind, COALESCE(x.planned_by_user_id, pt.created_by), x.planned_at,
	x.finished_at, x.result, x.error, pu.email_idx, pu.email_enc, pt.name, xu.email_idx, xu.email_enc`

const runFrom = ` FROM request_runs x LEFT JOIN users pu ON pu.id = x.planned_by_user_id LEFT JOIN tokens pt ON pt.id = x.planned_by_token_id
	LEFT JOIN users xu ON xu.id = x.approved_by_user_id`

func (db *DB) scanRun(ctx context.Context, q querier, org privaq.OrgID, row interface{ Scan(...any) error }) (rights.Run, error) {
	var r rights.Run
	var kind, status, plan, result, byKind string
	var sealed, pIdx, pEnc, aIdx, aEnc []byte
	var byUser, finished sql.NullInt64
	var planned int64
	var token sql.NullString
	if err := row.Scan(&r.ID, &r.RequestID, &kind, &status, &plan, &sealed, &byKind, &byUser, &planned, &finished, &result, &r.Error,
		&pIdx, &pEnc, &token, &aIdx, &aEnc); err != nil {
		return r, err
	}
	r.Kind, r.Status, r.PlannedAt, r.FinishedAt = rights.RunKind(kind), rights.RunStatus(status), fromMicros(planned), nullMicros(finished)
	r.PlannerKind, r.PlannerUser = privaq.ActorKind(byKind), privaq.UserID(byUser.Int64)
	if err := json.Unmarshal([]byte(plan), &r.Plan); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(result), &r.Result); err != nil {
		return r, err
	}
	var err error
	if r.PlannedBy, err = db.actorName(byKind, pIdx, pEnc, token); err != nil {
		return r, err
	}
	if aEnc != nil {
		if r.ApprovedBy, err = db.actorName("user", aIdx, aEnc, sql.NullString{}); err != nil {
			return r, err
		}
	}
	dek, err := db.orgKey(ctx, q, org)
	if err != nil {
		return r, err
	}
	plain, err := dek.Open(sealed, requestChildAD("request_runs", org, r.RequestID))
	if err != nil {
		return r, err
	}
	var p runPrivate
	if err := json.Unmarshal(plain, &p); err != nil {
		return r, err
	}
	r.Samples, r.Corrections, r.Fingerprint = p.Samples, p.Corrections, p.Fingerprint
	return r, nil
}

// Runs lists a request's runs, newest first.
func (db *DB) Runs(ctx context.Context, org privaq.OrgID, id rights.ID) ([]rights.Run, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+runColumns+runFrom+` WHERE x.org_id = $1 AND x.request_id = $2 ORDER BY x.id DESC`, org, id)
	if err != nil {
		return nil, db.dialect.mapError(err, "runs")
	}
	defer rows.Close()
	out := []rights.Run{}
	for rows.Next() {
		r, err := db.scanRun(ctx, db.r, org, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Run returns one run of a request.
func (db *DB) Run(ctx context.Context, org privaq.OrgID, id rights.ID, run int64) (rights.Run, error) {
	r, err := db.scanRun(ctx, db.r, org, db.r.QueryRowContext(ctx, `SELECT `+runColumns+runFrom+` WHERE x.org_id = $1 AND x.request_id = $2 AND x.id = $3`,
		org, id, run))
	return r, db.dialect.mapError(err, "run")
}

// ClaimRun moves a planned run to "running" under its row lock, once check
// allows it, so that two approvals never both carry it out.
func (db *DB) ClaimRun(ctx context.Context, org privaq.OrgID, id rights.ID, run int64, now time.Time, check func(*rights.Run) error) (rights.Run, error) {
	var out rights.Run
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var got int64
		err := tx.QueryRowContext(ctx, `UPDATE request_runs SET status = status WHERE org_id = $1 AND request_id = $2 AND id = $3 RETURNING id`,
			org, id, run).Scan(&got)
		if err == sql.ErrNoRows {
			return privaq.Errorf(privaq.ENotFound, "run %d not found", run)
		} else if err != nil {
			return err
		}
		r, err := db.scanRun(ctx, tx, org, tx.QueryRowContext(ctx, `SELECT `+runColumns+runFrom+` WHERE x.id = $1`, run))
		if err != nil {
			return err
		}
		if err := check(&r); err != nil {
			return err
		}
		out = r
		_, err = tx.ExecContext(ctx, `UPDATE request_runs SET status = 'running', claimed_at = $1 WHERE id = $2`, micros(now), run)
		return err
	})
	return out, db.dialect.mapError(err, "run")
}

// InterruptRuns marks failed the runs claimed before cutoff and never
// finished, in every organization, with their request's event; it returns
// how many.
func (db *DB) InterruptRuns(ctx context.Context, now, cutoff time.Time, message string, ev func(rights.Run) rights.Event) (int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT org_id, request_id, id, kind FROM request_runs WHERE status = 'running' AND claimed_at < $1`, micros(cutoff))
	if err != nil {
		return 0, db.dialect.mapError(err, "runs")
	}
	type stuck struct {
		org privaq.OrgID
		run rights.Run
	}
	var list []stuck
	for rows.Next() {
		var x stuck
		var kind string
		if err := rows.Scan(&x.org, &x.run.RequestID, &x.run.ID, &kind); err != nil {
			rows.Close()
			return 0, err
		}
		x.run.Kind = rights.RunKind(kind)
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, x := range list {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE request_runs SET status = 'failed', error = $1, finished_at = $2 WHERE id = $3 AND status = 'running'`,
				message, micros(now), x.run.ID)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			return db.addRequestEvent(ctx, tx, x.org, x.run.RequestID, ev(x.run))
		})
		if err != nil {
			return n, db.dialect.mapError(err, "run")
		}
	}
	return n, nil
}

// FinishRun stores a run's result, its destruction log and its event.
func (db *DB) FinishRun(ctx context.Context, org privaq.OrgID, r *rights.Run, log []rights.Destruction, ev rights.Event, e audit.Entry) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		result, err := json.Marshal(nonNilPlan(r.Result))
		if err != nil {
			return err
		}
		// The sample rows served the approval; once the run is over they
		// are personal information kept for nothing, possibly of a person
		// just erased.
		dek, err := db.orgKey(ctx, tx, org)
		if err != nil {
			return err
		}
		priv, err := json.Marshal(runPrivate{Corrections: r.Corrections})
		if err != nil {
			return err
		}
		a := ev.Actor()
		if _, err := tx.ExecContext(ctx, `UPDATE request_runs SET status = $1, result = $2, error = $3, finished_at = $4, approved_by_user_id = $5,
			private_enc = $6 WHERE org_id = $7 AND id = $8`, string(r.Status), string(result), r.Error, nullTime(r.FinishedAt), nullID(a.UserID),
			dek.Seal(priv, requestChildAD("request_runs", org, r.RequestID)), org, r.ID); err != nil {
			return err
		}
		var pKind string
		var pUser, pToken sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT planned_by_kind, planned_by_user_id, planned_by_token_id FROM request_runs WHERE id = $1`, r.ID).
			Scan(&pKind, &pUser, &pToken); err != nil {
			return err
		}
		for _, d := range log {
			if _, err := tx.ExecContext(ctx, `INSERT INTO destruction_log (org_id, at, request_id, reference, run_id, source, table_name, action,
				row_count, planned_by_kind, planned_by_user_id, planned_by_token_id, approved_by_user_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, org, micros(d.At), d.RequestID, d.Reference, r.ID, d.Connector,
				d.Table, d.Action, d.Rows, pKind, pUser, pToken, nullID(a.UserID)); err != nil {
				return err
			}
		}
		ev.Detail["run"] = r.ID
		if err := db.addRequestEvent(ctx, tx, org, r.RequestID, ev); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, ev.At)
	})
	return db.dialect.mapError(err, "run")
}

// Destructions returns the destruction log, newest first.
func (db *DB) Destructions(ctx context.Context, org privaq.OrgID) ([]rights.Destruction, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT d.id, d.at, d.request_id, d.reference, d.run_id, d.source, d.table_name, d.action, d.row_count,
		d.planned_by_kind, pu.email_idx, pu.email_enc, pt.name, au.email_idx, au.email_enc
		FROM destruction_log d LEFT JOIN users pu ON pu.id = d.planned_by_user_id LEFT JOIN tokens pt ON pt.id = d.planned_by_token_id
		LEFT JOIN users au ON au.id = d.approved_by_user_id WHERE d.org_id = $1 ORDER BY d.id DESC`, org)
	if err != nil {
		return nil, db.dialect.mapError(err, "destruction log")
	}
	defer rows.Close()
	out := []rights.Destruction{}
	for rows.Next() {
		var d rights.Destruction
		var at int64
		var req, run sql.NullInt64
		var pKind string
		var pIdx, pEnc, aIdx, aEnc []byte
		var token sql.NullString
		if err := rows.Scan(&d.ID, &at, &req, &d.Reference, &run, &d.Connector, &d.Table, &d.Action, &d.Rows, &pKind, &pIdx, &pEnc, &token,
			&aIdx, &aEnc); err != nil {
			return nil, err
		}
		d.At, d.RequestID, d.RunID = fromMicros(at), rights.ID(req.Int64), run.Int64
		if d.PlannedBy, err = db.actorName(pKind, pIdx, pEnc, token); err != nil {
			return nil, err
		}
		if aEnc != nil {
			if d.ApprovedBy, err = db.actorName("user", aIdx, aEnc, sql.NullString{}); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
