-- SQLite's 0006 rebuilds consent_state as a WITHOUT ROWID table. PostgreSQL
-- has no such layout (its primary key index already leads to the row), so
-- this version only keeps both engines' schema versions in step.
SELECT 1;
