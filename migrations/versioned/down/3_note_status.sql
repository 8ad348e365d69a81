-- Undoes 3_note_status.sql for `migrator rollback`: back to the is_draft flag. The type stays: the
-- declaration in tables/ creates it.
ALTER TABLE notes ADD COLUMN IF NOT EXISTS is_draft boolean NOT NULL DEFAULT true;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'notes' AND column_name = 'status') THEN
    UPDATE notes SET is_draft = (status = 'draft');
    ALTER TABLE notes DROP COLUMN status;
  END IF;
END $$;
