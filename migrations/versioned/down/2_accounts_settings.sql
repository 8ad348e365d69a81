-- Undoes 2_accounts_settings.sql for `migrator rollback`.
ALTER TABLE accounts DROP COLUMN IF EXISTS settings;
