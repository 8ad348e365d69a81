/** What a migration file may contain, checked before anything runs. */
import { ValidationError } from '../errors';
import { splitStatements, transactionControl } from './statements';

/**
 * Legacy scripts, table files and versioned files that run in a transaction run in one the
 * migrator opens (and for plan, status and check, rolls back): a statement that ends or starts
 * one would commit part of the file early, or the dry run for real. label: e.g. legacy/001_x.sql.
 */
export function refuseTransactionControl(label: string, sql: string): void {
  for (const statement of splitStatements(sql)) {
    const control = transactionControl(statement);
    if (control === undefined) continue;
    throw new ValidationError(
      `${label}:${statement.line}: ${control} would end the transaction the migrator runs this file in ` +
        '(and commit a dry run of plan, status or check): remove it; the migrator begins and commits the transaction itself',
      label,
    );
  }
}
