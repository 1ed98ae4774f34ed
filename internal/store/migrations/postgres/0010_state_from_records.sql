-- SQLite's 0010 drops consent_state, which it derives from the ledger.
-- PostgreSQL keeps it: each node loads its copy of the decision index
-- from it, then follows the ledger.
-- This version only keeps both engines' schema versions in step.
SELECT 1;
