-- On SQLite the latest decision per person and purpose is kept in memory
-- (stateindex.go), built from consent_records, whose subject index also
-- answers it before the copy is loaded. consent_state only cost every
-- record a second write at a random place in the file.
DROP TABLE consent_state;
