-- Release 3 changes the view's columns: every account is listed, with its e-mail address, and the
-- count is an int (count(*) is a bigint, which node-postgres hands the app as a string).
-- CREATE OR REPLACE VIEW may only add columns at the end; it cannot insert, retype, rename or drop
-- one. So the view is dropped and created again: every repeatable file runs in one transaction, so
-- no reader finds it missing. Release 2's pods, still serving during the rollout, read the same
-- account_id and notes columns.
DROP VIEW IF EXISTS notes_per_account;
CREATE VIEW notes_per_account AS
  SELECT a.id AS account_id, a.email, count(n.id)::int AS notes
    FROM accounts a
    LEFT JOIN notes n ON n.account_id = a.id
   GROUP BY a.id, a.email;
