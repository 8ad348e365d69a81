-- Release 2: per-account settings. Databases from release 1 already have the column when this runs
-- (the legacy phase adds declared columns), so it is guarded like every versioned migration.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS settings jsonb NOT NULL DEFAULT '{}';
