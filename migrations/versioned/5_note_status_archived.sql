-- Release 3: notes can be archived. Release 2 never reads the new value, so it is added before the deploy.
ALTER TYPE note_status ADD VALUE IF NOT EXISTS 'archived' AFTER 'published';
