-- Times are Unix microseconds (UTC) in both engines, so values compare and
-- round-trip exactly. Personal information is sealed (AES-GCM) in *_enc
-- columns; *_idx columns hold HMAC blind indexes for lookups.
-- One row sealed with the master key at first start: a node started with
-- another key refuses to run instead of failing at the first decryption.
CREATE TABLE key_check (
  id INTEGER PRIMARY KEY,
  sealed BLOB NOT NULL
);

CREATE TABLE orgs (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  profile TEXT NOT NULL,
  policy TEXT NOT NULL,
  officer_enc BLOB,
  inventory_rev BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);

CREATE TABLE org_keys (
  org_id BIGINT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  wrapped BLOB NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email_idx BLOB NOT NULL UNIQUE,
  email_enc BLOB NOT NULL,
  name_enc BLOB NOT NULL,
  password_hash TEXT NOT NULL,
  totp_enc BLOB,
  totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
  totp_step BIGINT NOT NULL DEFAULT 0, -- last accepted time step: a code is good once
  admin BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  disabled_at BIGINT
);

CREATE TABLE memberships (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  hash BLOB NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX tokens_org ON tokens(org_id);

CREATE TABLE sessions (
  id_hash BLOB PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id BIGINT REFERENCES orgs(id) ON DELETE SET NULL,
  csrf TEXT NOT NULL,
  mfa_pending BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY,
  key_idx BLOB NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key_idx, at);

CREATE TABLE inventory_items (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  key TEXT NOT NULL,
  position INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (org_id, collection, key)
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  org_id BIGINT REFERENCES orgs(id),
  at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_user_id BIGINT,
  actor_token_id BIGINT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  ip TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);

-- The audit log is evidence: the database itself refuses to change it.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
