-- Rights requests (SPEC §9). One requests row per request: the workflow's
-- dates and states in columns, for the list and the deadlines; who asks,
-- for whom, what, the identifiers used to find the person, how the
-- identity was verified and the answer's reasons sealed together in
-- person_enc (a JSON object) with the organization's key. The email's
-- blind index finds a person's requests. The public links' tokens are
-- stored as SHA-256 hashes.
CREATE TABLE request_settings (
  org_id BIGINT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  -- last_number numbers the organization's requests; its row lock
  -- serializes creations on PostgreSQL.
  last_number INTEGER NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);

CREATE TABLE requests (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  reference TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  channel TEXT NOT NULL,
  law TEXT NOT NULL,
  lang TEXT NOT NULL,
  email_idx BLOB,
  person_enc BLOB NOT NULL,
  articles TEXT NOT NULL,
  outcome TEXT NOT NULL,
  assignee_user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  received_at BIGINT NOT NULL,
  confirmed_at BIGINT,
  due_at BIGINT NOT NULL,
  original_due_at BIGINT NOT NULL,
  extended_at BIGINT,
  answered_at BIGINT,
  closed_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  confirm_hash BLOB,
  confirm_expires BIGINT,
  status_hash BLOB,
  UNIQUE (org_id, number)
);
CREATE INDEX requests_org ON requests(org_id, status, due_at);
CREATE INDEX requests_open ON requests(status, due_at);
CREATE INDEX requests_email ON requests(org_id, email_idx);
CREATE UNIQUE INDEX requests_confirm ON requests(confirm_hash);
CREATE UNIQUE INDEX requests_status_link ON requests(status_hash);

-- The file of a request: every step, note and result, dated. detail holds
-- counts and keys only; a note, which may name people, is sealed.
CREATE TABLE request_events (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_user_id BIGINT,
  actor_token_id BIGINT,
  action TEXT NOT NULL,
  detail TEXT NOT NULL,
  note_enc BLOB
);
CREATE INDEX request_events_request ON request_events(request_id, id);

-- Every letter written, sealed, with the outbox email that sent it.
CREATE TABLE request_letters (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  lang TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  mail_id BIGINT REFERENCES mail_outbox(id) ON DELETE SET NULL,
  letter_enc BLOB NOT NULL
);
CREATE INDEX request_letters_request ON request_letters(request_id, id);

-- Reminders before the due date, one row per request and threshold,
-- written with the email it queues.
CREATE TABLE request_reminders (
  request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  days INTEGER NOT NULL,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  queued_at BIGINT NOT NULL,
  PRIMARY KEY (request_id, days)
);

-- Connectors to the organization's own databases. The DSN, which holds a
-- password, is sealed; the mapping names tables and columns only.
CREATE TABLE connectors (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  kind TEXT NOT NULL,
  dsn_enc BLOB NOT NULL,
  tables TEXT NOT NULL,
  report TEXT NOT NULL DEFAULT '',
  tested_at BIGINT,
  test_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (org_id, key)
);

-- Access and portability archives, sealed, until they expire.
CREATE TABLE request_exports (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  size INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  downloaded_at BIGINT,
  data_enc BLOB NOT NULL
);
CREATE INDEX request_exports_request ON request_exports(request_id, id);

-- Erasures and rectifications: the dry run's counts (plan), its sample
-- rows and the corrections (sealed), who planned and who approved, the
-- result's counts.
CREATE TABLE request_runs (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  plan TEXT NOT NULL,
  private_enc BLOB NOT NULL,
  planned_by_kind TEXT NOT NULL,
  planned_by_user_id BIGINT,
  planned_by_token_id BIGINT,
  planned_at BIGINT NOT NULL,
  approved_by_user_id BIGINT,
  finished_at BIGINT,
  result TEXT NOT NULL DEFAULT '[]',
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX request_runs_request ON request_runs(request_id, id);

-- The destruction log: what was destroyed or anonymized, how many rows,
-- by whom and when, under which request. No personal information; kept
-- when the request is deleted.
CREATE TABLE destruction_log (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  request_id BIGINT REFERENCES requests(id) ON DELETE SET NULL,
  reference TEXT NOT NULL,
  run_id BIGINT,
  source TEXT NOT NULL,
  table_name TEXT NOT NULL,
  action TEXT NOT NULL,
  row_count BIGINT NOT NULL,
  planned_by_kind TEXT NOT NULL,
  planned_by_user_id BIGINT,
  planned_by_token_id BIGINT,
  approved_by_user_id BIGINT
);
CREATE INDEX destruction_log_org ON destruction_log(org_id, at);
