/** What a migration file may contain, checked before anything runs. */
import { foreignLayoutError } from '../adopt/layout-hint';
import { ValidationError } from '../errors';
import { NO_TRANSACTION_MARKER, type VersionedFile } from '../history/files';
import { refusesTransaction, splitStatements, transactionControl, type Statement } from './statements';

const NO_OP_HINT = 'for a step that intentionally does nothing, write SELECT 1;';

/**
 * A file that holds no statement (empty, or only comments) is refused: for a versioned file, `up`
 * would record it as applied and burn its id before its SQL was written.
 */
export function refuseNoStatement(label: string, sql: string, statements: Statement[] = splitStatements(sql)): void {
  if (statements.length > 0) return;
  throw new ValidationError(`${label} holds no statement (it is empty or only comments): write its SQL; ${NO_OP_HINT}`, label);
}

/**
 * Legacy scripts, table files, repeatable files and versioned files that run in a transaction run in one the
 * migrator opens (and for plan, status and check, rolls back): a statement that ends or starts
 * one would commit part of the file early, or the dry run for real; one that refuses to run in a
 * transaction would fail there. label: e.g. legacy/001_x.sql.
 */
export function refuseInTransaction(label: string, sql: string, statements: Statement[] = splitStatements(sql)): void {
  for (const statement of statements) {
    const control = transactionControl(statement);
    if (control !== undefined) {
      throw new ValidationError(
        `${label}:${statement.line}: ${control} would end the transaction the migrator runs this file in ` +
          '(and commit a dry run of plan, status or check): remove it; the migrator begins and commits the transaction itself',
        label,
      );
    }
    const refused = refusesTransaction(statement);
    if (refused !== undefined) {
      const where = label.startsWith('versioned/')
        ? `put it alone in a versioned file with the line ${NO_TRANSACTION_MARKER}`
        : `${label.startsWith('repeatable/') ? 'repeatable files' : 'legacy scripts and table files'} always run in a transaction: ` +
          `move it to a versioned file of its own, with the line ${NO_TRANSACTION_MARKER}`;
      throw new ValidationError(`${label}:${statement.line}: ${refused} cannot run inside a transaction: ${where}`, label);
    }
  }
}

/**
 * A pending versioned file, checked before the run writes anything (one already applied stays
 * valid, whatever it holds). A file without a transaction reaches PostgreSQL as one query, which
 * PostgreSQL runs as one implicit transaction when it holds several statements: a statement that
 * refuses a transaction must be alone in it.
 */
export function checkPendingVersioned(file: VersionedFile): void {
  if (file.deferred) return;
  const label = `versioned/${file.fileName}`;
  // Names and ids can pass for ours (1_x.up.sql, dbmate's 1_x.sql) where the text would run wrong:
  // a dbmate file's down section along with its up section.
  const foreign = foreignLayoutError([file.fileName], () => file.sql);
  if (foreign) throw foreign;
  const statements = splitStatements(file.sql);
  refuseNoStatement(label, file.sql, statements);
  if (file.inTransaction) {
    refuseInTransaction(label, file.sql, statements);
    return;
  }
  const refusing = statements.find((statement) => refusesTransaction(statement) !== undefined);
  if (refusing && statements.length > 1) {
    throw new ValidationError(
      `${label}:${refusing.line}: ${refusesTransaction(refusing)} must be alone in its file: PostgreSQL runs a file of several statements as one implicit transaction, which it refuses; split the file`,
      label,
    );
  }
}
