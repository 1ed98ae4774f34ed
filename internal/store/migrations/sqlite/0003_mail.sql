-- The mail outbox: every email privaq sends is first written here, in the
-- transaction of the change that causes it, so an acknowledged change
-- never loses its email; a worker then delivers it, retrying with backoff.
-- The recipient and the body name a person: they are sealed together with
-- the organization's key in message_enc. Rows stay as the record of what
-- was sent, when, and how many attempts it took.
CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL DEFAULT '',
  lang TEXT NOT NULL,
  subject TEXT NOT NULL,
  message_enc BLOB NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_at);
CREATE INDEX mail_outbox_org ON mail_outbox(org_id, id);

-- People who asked to be told of policy changes (double opt-in). The
-- address is sealed with the organization's key and found by a blind
-- index; the confirmation token is kept only as a hash, the unsubscribe
-- token sealed (every notice carries it) and hashed for lookup.
CREATE TABLE policy_subscribers (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email_idx BLOB NOT NULL,
  email_enc BLOB NOT NULL,
  lang TEXT NOT NULL,
  status TEXT NOT NULL,
  confirm_hash BLOB,
  confirm_expires BIGINT,
  unsub_hash BLOB NOT NULL,
  unsub_enc BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  requested_at BIGINT NOT NULL,
  confirmed_at BIGINT,
  unsubscribed_at BIGINT,
  UNIQUE (org_id, email_idx)
);
CREATE UNIQUE INDEX policy_subscribers_confirm ON policy_subscribers(confirm_hash);
CREATE UNIQUE INDEX policy_subscribers_unsub ON policy_subscribers(unsub_hash);

-- How many change notices the publication of a version queued.
ALTER TABLE policy_versions ADD COLUMN notices INTEGER NOT NULL DEFAULT 0;
-- The consent-based purposes whose consents a significant change calls
-- into question (JSON list of purpose keys), fixed when the draft is made.
ALTER TABLE policy_versions ADD COLUMN renewal TEXT NOT NULL DEFAULT '[]';
