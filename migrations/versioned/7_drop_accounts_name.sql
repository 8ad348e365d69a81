-- migrator: post-deploy
-- Release 3, the contract half of 4: no pod of release 2 is left, so name goes. First the rows
-- release 2 wrote or changed during the rollout get their display_name.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'accounts' AND column_name = 'name') THEN
    UPDATE accounts SET display_name = coalesce(name, '') WHERE display_name IS DISTINCT FROM coalesce(name, '');
    ALTER TABLE accounts DROP COLUMN name;
  END IF;
END $$;
