-- Undoes 6_notes_created_at_timestamptz.sql for `migrator rollback`.
DO $$
BEGIN
  IF (SELECT data_type FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'notes' AND column_name = 'created_at') = 'timestamp with time zone' THEN
    ALTER TABLE notes ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC';
  END IF;
END $$;
