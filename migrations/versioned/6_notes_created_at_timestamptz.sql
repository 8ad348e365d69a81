-- migrator: post-deploy
-- Release 3: note times were stored without a time zone (in UTC); make them timestamptz. After the
-- rollout: release 2 writes local timestamps into this column until its last pod is gone.
-- A type change in place: the column keeps its name, so the legacy phase never adds a second one.
DO $$
BEGIN
  IF (SELECT data_type FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'notes' AND column_name = 'created_at') = 'timestamp without time zone' THEN
    ALTER TABLE notes ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC';
  END IF;
END $$;
