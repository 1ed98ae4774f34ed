-- SQLite's 0010 drops consent_state, which it derives from the ledger.
-- PostgreSQL keeps it: other nodes write, and every decision reads it.
-- This version only keeps both engines' schema versions in step.
SELECT 1;
