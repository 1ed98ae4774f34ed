-- Versions of an organization's privacy policy (SPEC §6). A version keeps
-- the inventory it was drafted from, as JSON, so that a published version
-- renders the same forever whatever later happens to the inventory. Status
-- stores only draft or published: scheduled, current and superseded follow
-- from effective_at and the clock, and are computed when read. The
-- snapshot's officer contact names a person: it is sealed with the
-- organization's key in officer_enc, as in orgs, and left out of inventory.
CREATE TABLE policy_versions (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by_kind TEXT NOT NULL,
  created_by_user_id BIGINT,
  created_by_token_id BIGINT,
  effective_at BIGINT,
  published_at BIGINT,
  editorial BOOLEAN NOT NULL DEFAULT FALSE,
  editorial_reason TEXT NOT NULL DEFAULT '',
  summary_fr TEXT NOT NULL DEFAULT '',
  summary_en TEXT NOT NULL DEFAULT '',
  inventory_rev BIGINT NOT NULL,
  inventory TEXT NOT NULL,
  officer_enc BLOB,
  significant BOOLEAN NOT NULL DEFAULT FALSE,
  changes TEXT NOT NULL,
  PRIMARY KEY (org_id, number)
);
CREATE INDEX policy_versions_effective ON policy_versions(org_id, effective_at);
