/** The versioned history, postgres-migrations behind one face: its files' rules, its table, its runner. */
export { compareWithHistory, type HistoryComparison } from './compare';
export {
  isMigrationFile,
  MAX_NAME_LENGTH,
  migrationHash,
  NO_TRANSACTION_MARKER,
  parseMigrationFileName,
  runsInTransaction,
  type VersionedFile,
} from './files';
export { createHistoryStore, digestOf, HISTORY_TABLE, historyDigestSql, type HistoryStore } from './store';
