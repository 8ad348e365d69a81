-- Release 3: notes can be archived.
ALTER TYPE note_status ADD VALUE IF NOT EXISTS 'archived' AFTER 'published';
