-- The consent ledger (SPEC §7). consent_records is append-only: triggers
-- refuse updates and deletes, so only destroying the organization (its
-- rows cascade with it) removes records. The subject and the
-- representative name people: sealed with the organization's key, the
-- subject found by a blind index. A record's previous hash is the hash of
-- the record before it in seq order, so it is not stored twice.
CREATE TABLE consent_records (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL,
  batch BIGINT NOT NULL,
  subject_idx BLOB NOT NULL,
  subject_enc BLOB NOT NULL,
  subject_category TEXT NOT NULL,
  purpose TEXT NOT NULL,
  decision TEXT NOT NULL,
  mode TEXT NOT NULL,
  channel TEXT NOT NULL,
  given_by TEXT NOT NULL,
  representative_enc BLOB,
  policy_version INTEGER NOT NULL,
  evidence_enc BLOB,
  expires_at BIGINT,
  recorded_at BIGINT NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (org_id, seq)
);
CREATE UNIQUE INDEX consent_records_id ON consent_records(id);
CREATE INDEX consent_records_subject ON consent_records(org_id, subject_idx, seq);
CREATE INDEX consent_records_purpose ON consent_records(org_id, purpose, recorded_at);
CREATE INDEX consent_records_recorded ON consent_records(org_id, recorded_at);

-- One signed head per committed batch.
CREATE TABLE ledger_batches (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  batch BIGINT NOT NULL,
  first_seq BIGINT NOT NULL,
  last_seq BIGINT NOT NULL,
  chain_hash BLOB NOT NULL,
  root BLOB NOT NULL,
  signed_at BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  signature BLOB NOT NULL,
  PRIMARY KEY (org_id, batch)
);

-- The end of each organization's chain; its row is the lock that orders
-- the organization's batches across nodes.
CREATE TABLE ledger_tips (
  org_id BIGINT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  last_seq BIGINT NOT NULL,
  last_hash BLOB NOT NULL,
  last_batch BIGINT NOT NULL
);

-- Ed25519 signing keys; the private half sealed with the master key.
CREATE TABLE ledger_keys (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  key_id INTEGER NOT NULL,
  public_key BLOB NOT NULL,
  private_enc BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, key_id)
);

-- The latest decision per person and purpose, written in the same
-- transaction as the records: the exact index decisions are answered from.
CREATE TABLE consent_state (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  subject_idx BLOB NOT NULL,
  purpose TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL,
  decision TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  expires_at BIGINT,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, subject_idx, purpose)
);

CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
WHEN (SELECT COUNT(*) FROM orgs WHERE id = OLD.org_id) > 0
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
