-- Undoes 4_accounts_display_name.sql for `migrator rollback`.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS name text;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'accounts' AND column_name = 'display_name') THEN
    UPDATE accounts SET name = nullif(display_name, '');
    ALTER TABLE accounts DROP COLUMN display_name;
  END IF;
END $$;
