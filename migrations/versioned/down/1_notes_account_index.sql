-- Undoes 1_notes_account_index.sql for `migrator rollback`.
DROP INDEX IF EXISTS notes_account_id_idx;
