-- postgres-migrations disable-transaction
-- Notes are listed per account. Built CONCURRENTLY so that writes to notes go on meanwhile, which
-- needs this statement alone in a file that runs without a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_account_id_idx ON notes (account_id);
