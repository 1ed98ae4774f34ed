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
  subject_idx BYTEA NOT NULL,
  subject_enc BYTEA NOT NULL,
  subject_category TEXT NOT NULL,
  purpose TEXT NOT NULL,
  decision TEXT NOT NULL,
  mode TEXT NOT NULL,
  channel TEXT NOT NULL,
  given_by TEXT NOT NULL,
  representative_enc BYTEA,
  policy_version INTEGER NOT NULL,
  evidence_enc BYTEA,
  expires_at BIGINT,
  recorded_at BIGINT NOT NULL,
  hash BYTEA NOT NULL,
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
  chain_hash BYTEA NOT NULL,
  root BYTEA NOT NULL,
  signed_at BIGINT NOT NULL,
  key_id INTEGER NOT NULL,
  signature BYTEA NOT NULL,
  PRIMARY KEY (org_id, batch)
);

-- The end of each organization's chain; its row is the lock that orders
-- the organization's batches across nodes.
CREATE TABLE ledger_tips (
  org_id BIGINT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  last_seq BIGINT NOT NULL,
  last_hash BYTEA NOT NULL,
  last_batch BIGINT NOT NULL
);

-- Ed25519 signing keys; the private half sealed with the master key.
CREATE TABLE ledger_keys (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  key_id INTEGER NOT NULL,
  public_key BYTEA NOT NULL,
  private_enc BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, key_id)
);

-- The latest decision per person and purpose, written in the same
-- transaction as the records: the exact index decisions are answered from.
CREATE TABLE consent_state (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  subject_idx BYTEA NOT NULL,
  purpose TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL,
  decision TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  expires_at BIGINT,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, subject_idx, purpose)
);

CREATE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Destroying the organization removes its records (ON DELETE CASCADE
  -- runs after the organization's row is gone); nothing else may.
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM orgs WHERE id = OLD.org_id) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'consent records are append-only';
END $$;
CREATE TRIGGER consent_records_no_change BEFORE UPDATE OR DELETE ON consent_records
FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();
