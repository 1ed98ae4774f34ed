-- Copies of identity documents (SPEC §9, P 30): none is kept unless the
-- officer chooses to for a request. The copy and its file name are sealed
-- with the organization's key, and destroyed when the request's file is,
-- at the end of the recourse delay.
CREATE TABLE request_documents (
  id INTEGER PRIMARY KEY,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  name_enc BLOB NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  data_enc BLOB NOT NULL,
  added_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
  added_at BIGINT NOT NULL
);
CREATE INDEX request_documents_request ON request_documents(request_id, id);

-- When an approval claimed a run: a run still running long after was cut
-- off by a crash, and the daily job marks it interrupted.
ALTER TABLE request_runs ADD COLUMN claimed_at BIGINT;
