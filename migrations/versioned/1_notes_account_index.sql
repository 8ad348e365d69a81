-- Versioned migrations also run on databases whose tables were just created in their current
-- shape by the table-creation phase, so every statement is guarded.
CREATE INDEX IF NOT EXISTS notes_account_id_idx ON notes (account_id);
