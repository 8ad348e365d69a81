-- Undoes 5_note_status_archived.sql for `migrator rollback` as far as PostgreSQL allows: an enum
-- value cannot be dropped, so archived notes become published again and the value stays.
UPDATE notes SET status = 'published' WHERE status = 'archived';
