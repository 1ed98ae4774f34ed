package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/org"
	"privaq/internal/policy"
)

// Staff emails and names are sealed with the instance key, bound to the
// account's email index; TOTP secrets are sealed too.
func userAD(idx []byte) []byte { return []byte("users:" + hex.EncodeToString(idx)) }

func totpAD(id privaq.UserID) []byte { return fmt.Appendf(nil, "users.totp:%d", id) }

// CreateUser inserts a staff account.
func (db *DB) CreateUser(ctx context.Context, u *org.User, e audit.Entry) error {
	idx := db.keys.emailIndex.Index(org.NormalizeEmail(u.Email))
	ad := userAD(idx)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email_idx, email_enc, name_enc, password_hash, admin, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			idx, db.keys.instance.Seal([]byte(u.Email), ad), db.keys.instance.Seal([]byte(u.Name), ad), u.PasswordHash, u.Admin, micros(u.CreatedAt)).Scan(&u.ID)
		if err != nil {
			return err
		}
		e.Target = fmt.Sprintf("user:%d", u.ID)
		return db.appendAudit(ctx, tx, e, u.CreatedAt)
	})
	return db.dialect.mapError(err, "account "+u.Email)
}

const userColumns = `id, email_idx, email_enc, name_enc, password_hash, totp_enc, totp_enabled, admin, created_at`

func (db *DB) scanUser(row interface{ Scan(...any) error }) (org.User, error) {
	var u org.User
	var idx, email, name, totp []byte
	var created int64
	if err := row.Scan(&u.ID, &idx, &email, &name, &u.PasswordHash, &totp, &u.TOTPEnabled, &u.Admin, &created); err != nil {
		return u, err
	}
	ad := userAD(idx)
	e, err := db.keys.instance.Open(email, ad)
	if err != nil {
		return u, fmt.Errorf("account %d email: %w", u.ID, err)
	}
	n, err := db.keys.instance.Open(name, ad)
	if err != nil {
		return u, fmt.Errorf("account %d name: %w", u.ID, err)
	}
	u.Email, u.Name, u.CreatedAt = string(e), string(n), fromMicros(created)
	if totp != nil {
		s, err := db.keys.instance.Open(totp, totpAD(u.ID))
		if err != nil {
			return u, fmt.Errorf("account %d TOTP: %w", u.ID, err)
		}
		u.TOTPSecret = string(s)
	}
	return u, nil
}

// UserByEmail finds an active account by email.
func (db *DB) UserByEmail(ctx context.Context, email string) (org.User, error) {
	idx := db.keys.emailIndex.Index(org.NormalizeEmail(email))
	u, err := db.scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email_idx = $1 AND disabled_at IS NULL`, idx))
	return u, db.dialect.mapError(err, "account")
}

// UserByID finds an active account by id.
func (db *DB) UserByID(ctx context.Context, id privaq.UserID) (org.User, error) {
	u, err := db.scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND disabled_at IS NULL`, id))
	return u, db.dialect.mapError(err, "account")
}

// UpdateUserTOTP stores a sealed TOTP secret.
func (db *DB) UpdateUserTOTP(ctx context.Context, id privaq.UserID, secret string, enabled bool, e audit.Entry) error {
	var sealed []byte
	if secret != "" {
		sealed = db.keys.instance.Seal([]byte(secret), totpAD(id))
	}
	return db.dialect.mapError(db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_enc = $1, totp_enabled = $2 WHERE id = $3`, sealed, enabled, id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, db.now())
	}), "account")
}

// ClaimTOTPStep records that a TOTP time step was used, and reports false
// when it (or a later one) was already: the conditional update makes a
// replayed code fail even when two nodes receive it at once.
func (db *DB) ClaimTOTPStep(ctx context.Context, id privaq.UserID, step int64) (bool, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE users SET totp_step = $1 WHERE id = $2 AND totp_step < $1`, step, id)
	if err != nil {
		return false, db.dialect.mapError(err, "account")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UpdateUserPassword stores a new password hash.
func (db *DB) UpdateUserPassword(ctx context.Context, id privaq.UserID, hash string, e audit.Entry) error {
	return db.dialect.mapError(db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, e, db.now())
	}), "account")
}

// SetMembership gives a user a role in an organization.
func (db *DB) SetMembership(ctx context.Context, o privaq.OrgID, user privaq.UserID, role privaq.Role, at time.Time, e audit.Entry) error {
	return db.dialect.mapError(db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`, o, user, string(role), micros(at))
		if err != nil {
			return err
		}
		e.OrgID = o
		return db.appendAudit(ctx, tx, e, at)
	}), "membership")
}

// Memberships lists the organizations a user belongs to, by slug.
func (db *DB) Memberships(ctx context.Context, user privaq.UserID) ([]org.Membership, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.slug, o.profile, o.created_at, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.slug`, user)
	if err != nil {
		return nil, db.dialect.mapError(err, "memberships")
	}
	defer rows.Close()
	var out []org.Membership
	for rows.Next() {
		var m org.Membership
		var profile, role string
		var created int64
		if err := rows.Scan(&m.Org.ID, &m.Org.Slug, &profile, &created, &role); err != nil {
			return nil, err
		}
		o, err := scanOrg(fixedRow{m.Org.ID, m.Org.Slug, profile, created})
		if err != nil {
			return nil, err
		}
		m.Org, m.Role = o, privaq.Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

// fixedRow lets scanOrg decode values already read by a wider query.
type fixedRow struct {
	id      privaq.OrgID
	slug    string
	profile string
	created int64
}

func (f fixedRow) Scan(dest ...any) error {
	*dest[0].(*privaq.OrgID), *dest[1].(*string), *dest[2].(*string), *dest[3].(*int64) = f.id, f.slug, f.profile, f.created
	return nil
}

// Members lists an organization's staff with their roles.
func (db *DB) Members(ctx context.Context, o privaq.OrgID) ([]org.Member, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT u.id, u.email_idx, u.email_enc, u.name_enc, u.totp_enabled, m.role
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.disabled_at IS NULL ORDER BY u.id`, o)
	if err != nil {
		return nil, db.dialect.mapError(err, "members")
	}
	defer rows.Close()
	var out []org.Member
	for rows.Next() {
		var m org.Member
		var idx, email, name []byte
		var role string
		if err := rows.Scan(&m.UserID, &idx, &email, &name, &m.TOTPEnabled, &role); err != nil {
			return nil, err
		}
		e, err1 := db.keys.instance.Open(email, userAD(idx))
		n, err2 := db.keys.instance.Open(name, userAD(idx))
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("account %d: %w", m.UserID, keysErr(err1, err2))
		}
		m.Email, m.Name, m.Role = string(e), string(n), privaq.Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

func keysErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// CreateToken inserts an API token by its hash.
func (db *DB) CreateToken(ctx context.Context, t *org.Token, hash []byte, e audit.Entry) error {
	return db.dialect.mapError(db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO tokens (org_id, name, role, hash, prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.OrgID, t.Name, string(t.Role), hash, t.Prefix, nullID(e.UserID), micros(t.CreatedAt)).Scan(&t.ID)
		if err != nil {
			return err
		}
		e.OrgID = t.OrgID
		return db.appendAudit(ctx, tx, e, t.CreatedAt)
	}), "token")
}

const tokenColumns = `id, org_id, name, role, prefix, created_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (org.Token, error) {
	var t org.Token
	var role string
	var created int64
	var used, revoked sql.NullInt64
	err := row.Scan(&t.ID, &t.OrgID, &t.Name, &role, &t.Prefix, &created, &used, &revoked)
	t.Role, t.CreatedAt, t.LastUsedAt, t.RevokedAt = privaq.Role(role), fromMicros(created), nullMicros(used), nullMicros(revoked)
	return t, err
}

// TokenByHash finds a token by the hash of its secret.
// Known tokens are cached (nodecache.go): a revocation through this node
// takes effect at once, through another within peerDelay.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (org.Token, error) {
	t, err := db.tokens.lookup(string(hash), func() (org.Token, error) {
		return scanToken(db.pr.queryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	})
	return t, db.dialect.mapError(err, "token")
}

// TouchToken records a token's last use.
func (db *DB) TouchToken(ctx context.Context, id privaq.TokenID, hash []byte, at time.Time) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2`, micros(at), id); err != nil {
		return db.dialect.mapError(err, "token")
	}
	db.tokens.update(string(hash), func(t *org.Token) { t.LastUsedAt = &at })
	return nil
}

// ListTokens lists an organization's tokens, newest first.
func (db *DB) ListTokens(ctx context.Context, o privaq.OrgID) ([]org.Token, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org_id = $1 ORDER BY id DESC`, o)
	if err != nil {
		return nil, db.dialect.mapError(err, "tokens")
	}
	defer rows.Close()
	var out []org.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the organization's tokens.
func (db *DB) RevokeToken(ctx context.Context, o privaq.OrgID, id privaq.TokenID, at time.Time, e audit.Entry) error {
	defer db.tokens.clear()
	return db.dialect.mapError(db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL`, micros(at), id, o)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return privaq.Errorf(privaq.ENotFound, "token not found or already revoked")
		}
		e.OrgID = o
		return db.appendAudit(ctx, tx, e, at)
	}), "token")
}

// CreateSession stores a new session.
func (db *DB) CreateSession(ctx context.Context, s org.Session) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, org_id, csrf, mfa_pending, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.IDHash, s.UserID, nullID(s.OrgID), s.CSRF, s.MFAPending, micros(s.CreatedAt), micros(s.ExpiresAt))
	return db.dialect.mapError(err, "session")
}

// SessionByHash finds a session by the hash of its secret.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (org.Session, error) {
	var s org.Session
	var o sql.NullInt64
	var created, expires int64
	err := db.r.QueryRowContext(ctx, `SELECT id_hash, user_id, org_id, csrf, mfa_pending, created_at, expires_at FROM sessions WHERE id_hash = $1`, hash).
		Scan(&s.IDHash, &s.UserID, &o, &s.CSRF, &s.MFAPending, &created, &expires)
	s.OrgID, s.CreatedAt, s.ExpiresAt = privaq.OrgID(o.Int64), fromMicros(created), fromMicros(expires)
	return s, db.dialect.mapError(err, "session")
}

// UpdateSession saves a session's state.
func (db *DB) UpdateSession(ctx context.Context, s org.Session) error {
	_, err := db.w.ExecContext(ctx, `UPDATE sessions SET org_id = $1, mfa_pending = $2, expires_at = $3 WHERE id_hash = $4`,
		nullID(s.OrgID), s.MFAPending, micros(s.ExpiresAt), s.IDHash)
	return db.dialect.mapError(err, "session")
}

// DeleteSession removes a session, and any expired ones with it.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1 OR expires_at < $2`, hash, micros(db.now()))
	return db.dialect.mapError(err, "session")
}

// RecordAttempt counts one attempt against key for rate limiting: a
// failed sign-in by email or client network, a public form sent by a
// client network. Keys are stored under a blind index.
func (db *DB) RecordAttempt(ctx context.Context, key string, at time.Time) error {
	return db.dialect.mapError(db.tx(ctx, func(tx *sql.Tx) error {
		// Old failures no longer count; pruning here keeps the table small.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < $1`, micros(at.Add(-24*time.Hour))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key_idx, at) VALUES ($1, $2)`, db.keys.limitIndex.Index(key), micros(at))
		return err
	}), "login failure")
}

// CountAttempts counts the attempts against key since a time.
func (db *DB) CountAttempts(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE key_idx = $1 AND at >= $2`, db.keys.limitIndex.Index(key), micros(since)).Scan(&n)
	return n, db.dialect.mapError(err, "login failures")
}

var (
	_ org.Store              = (*DB)(nil)
	_ inventory.Store        = (*DB)(nil)
	_ audit.Store            = (*DB)(nil)
	_ mail.Store             = (*DB)(nil)
	_ policy.Store           = (*DB)(nil)
	_ policy.SubscriberStore = (*DB)(nil)
)
