-- Release 3 renames accounts.name to display_name (never null: '' when unknown).
-- The legacy phase has usually added display_name already (it is declared in tables/), holding only
-- its default, so this is not a plain RENAME: add the new column if it is missing, move the data,
-- drop the old one.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS display_name text NOT NULL DEFAULT '';

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'accounts' AND column_name = 'name') THEN
    UPDATE accounts SET display_name = coalesce(name, '');
    ALTER TABLE accounts DROP COLUMN name;
  END IF;
END $$;
