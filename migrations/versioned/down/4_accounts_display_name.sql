-- Undoes 4_accounts_display_name.sql for `migrator rollback` (7, rolled back first, brought name back).
ALTER TABLE accounts DROP COLUMN IF EXISTS display_name;
