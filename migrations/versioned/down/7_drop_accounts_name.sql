-- Undoes 7_drop_accounts_name.sql for `migrator rollback`: name comes back, filled from display_name.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS name text;
UPDATE accounts SET name = nullif(display_name, '') WHERE name IS NULL;
