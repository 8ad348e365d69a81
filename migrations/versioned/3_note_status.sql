-- Release 2: a note has a status instead of release 1's is_draft flag (a data migration).
DO $$
BEGIN
  IF to_regtype('note_status') IS NULL THEN
    CREATE TYPE note_status AS ENUM ('draft', 'published');
  END IF;
END $$;

ALTER TABLE notes ADD COLUMN IF NOT EXISTS status note_status NOT NULL DEFAULT 'draft';

-- Move the flag into the status, then drop it. Only a database from release 1 still has is_draft.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'notes' AND column_name = 'is_draft') THEN
    UPDATE notes SET status = 'published' WHERE NOT is_draft;
    ALTER TABLE notes DROP COLUMN is_draft;
  END IF;
END $$;
