-- Webhooks (SPEC §7): the endpoints an organization registers, and the
-- durable outbox of the consent events they receive. A delivery row is
-- written in the transaction that appends its record to the ledger, so an
-- acknowledged withdrawal always has its events; a worker then posts them,
-- retrying with backoff, and keeps every attempt. The signing secret and
-- the event body (it names the person) are sealed with the organization's
-- key. Deleting an endpoint deletes its pending deliveries with it.
-- AUTOINCREMENT: the id of a deleted endpoint is never given to another.
CREATE TABLE webhook_endpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret_enc BLOB NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints(org_id, id);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  payload_enc BLOB NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  delivered_at BIGINT,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries(created_at);

-- One row per attempt: when, what the endpoint answered, how long it took.
CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  at BIGINT NOT NULL,
  status_code INTEGER NOT NULL,
  error TEXT NOT NULL,
  duration_us BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, attempt);
