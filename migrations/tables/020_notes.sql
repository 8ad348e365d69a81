-- The status type belongs to notes: created here for a fresh install (guarded, because this file
-- also runs in a scratch schema to compute the declared columns, next to an existing type).
DO $$
BEGIN
  IF to_regtype('note_status') IS NULL THEN
    CREATE TYPE note_status AS ENUM ('draft', 'published', 'archived');
  END IF;
END $$;

CREATE TABLE notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  body text NOT NULL,
  status note_status NOT NULL DEFAULT 'draft',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_account_id_idx ON notes (account_id);
