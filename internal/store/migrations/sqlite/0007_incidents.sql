-- Confidentiality incidents (SPEC §10; Regulation respecting
-- confidentiality incidents, "Reg-I"). Each organization keeps a register:
-- one incidents row per incident, with the fields the register and the
-- dashboards query in columns (dates, counts, the latest conclusion) and
-- the free texts, which may name people, sealed with the organization's
-- key in details_enc (a JSON object). The inventory keys an incident names
-- (data categories, systems, recipients) are not personal: they are plain
-- JSON in refs. Every change leaves a dated row in incident_history, whose
-- detail (the values before and after) is sealed too.
CREATE TABLE incident_settings (
  org_id BIGINT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  overdue_hours INTEGER NOT NULL DEFAULT 72,
  neq TEXT NOT NULL DEFAULT '',
  -- last_number numbers the organization's incidents; its row lock
  -- serializes declarations on PostgreSQL.
  last_number INTEGER NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  reference TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  occurred_from BIGINT NOT NULL,
  occurred_to BIGINT,
  occurred_approximate BOOLEAN NOT NULL,
  discovered_at BIGINT NOT NULL,
  people_count BIGINT,
  people_in_quebec BIGINT,
  people_approximate BOOLEAN NOT NULL,
  refs TEXT NOT NULL,
  details_enc BLOB NOT NULL,
  serious BOOLEAN,
  assessed_at BIGINT,
  cai_notified_at BIGINT,
  persons_notified_at BIGINT,
  public_notice_at BIGINT,
  declared_at BIGINT NOT NULL,
  declared_by_kind TEXT NOT NULL,
  declared_by_user_id BIGINT,
  declared_by_token_id BIGINT,
  updated_at BIGINT NOT NULL,
  closed_at BIGINT,
  -- What the list of people concerned counted when it was destroyed.
  destroyed_people INTEGER NOT NULL DEFAULT 0,
  destroyed_with_email INTEGER NOT NULL DEFAULT 0,
  destroyed_at BIGINT,
  UNIQUE (org_id, number)
);
CREATE INDEX incidents_org ON incidents(org_id, discovered_at);
CREATE INDEX incidents_open_serious ON incidents(status, serious);

CREATE TABLE incident_history (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_user_id BIGINT,
  actor_token_id BIGINT,
  action TEXT NOT NULL,
  detail_enc BLOB NOT NULL
);
CREATE INDEX incident_history_incident ON incident_history(incident_id, id);

-- Assessments of the risk of serious injury (P 3.7, A 63.10): the three
-- factors, the conclusion and the officer's grounds (sealed). A revision is
-- a new row; incidents.serious holds the latest conclusion.
CREATE TABLE incident_assessments (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_user_id BIGINT,
  actor_token_id BIGINT,
  sensitivity TEXT NOT NULL,
  consequences TEXT NOT NULL,
  likelihood TEXT NOT NULL,
  serious BOOLEAN NOT NULL,
  grounds_enc BLOB NOT NULL
);
CREATE INDEX incident_assessments_incident ON incident_assessments(incident_id, id);

-- Communications to whoever can reduce the risk, which the organization
-- must record with what it disclosed (P 3.5, A 63.8); all sealed.
CREATE TABLE incident_disclosures (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  disclosed_at BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_user_id BIGINT,
  actor_token_id BIGINT,
  disclosure_enc BLOB NOT NULL
);
CREATE INDEX incident_disclosures_incident ON incident_disclosures(incident_id, id);

-- The people concerned, as imported (name, email and address sealed
-- together), and the notice of each: an email, whose delivery is its
-- mail_outbox row's, or a letter to post. Destroying the list deletes the
-- people; the notices stay, without them, so the counts remain.
CREATE TABLE incident_people (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  line INTEGER NOT NULL,
  lang TEXT NOT NULL,
  has_email BOOLEAN NOT NULL,
  person_enc BLOB NOT NULL,
  imported_at BIGINT NOT NULL
);
CREATE INDEX incident_people_incident ON incident_people(incident_id, id);

CREATE TABLE incident_notices (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  person_id BIGINT REFERENCES incident_people(id) ON DELETE SET NULL,
  channel TEXT NOT NULL,
  mail_id BIGINT REFERENCES mail_outbox(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  posted_at BIGINT
);
CREATE UNIQUE INDEX incident_notices_person ON incident_notices(person_id);
CREATE INDEX incident_notices_incident ON incident_notices(incident_id);

-- The daily reminder of overdue incidents: one row per organization and
-- day, written with the email it queues, so it goes once whatever the
-- number of nodes and restarts.
CREATE TABLE incident_reminders (
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  queued_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, day)
);
