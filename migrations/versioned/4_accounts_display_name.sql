-- Release 3 renames accounts.name to display_name (never null: '' when unknown), across a rolling
-- deploy: release 2's pods keep reading and writing name until the rollout ends. So this
-- migration only expands: it adds display_name and copies name into it; 7 (post-deploy) copies
-- what release 2 wrote meanwhile and drops name. The legacy phase has usually added display_name
-- already (it is declared in tables/), holding only its default.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS display_name text NOT NULL DEFAULT '';

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'accounts' AND column_name = 'name') THEN
    UPDATE accounts SET display_name = coalesce(name, '') WHERE display_name = '';
  END IF;
END $$;
