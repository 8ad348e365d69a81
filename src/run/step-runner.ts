/**
 * The one step runner: every step of every phase, of rollback and of baseline runs through it,
 * and so does every dry run while planning. It owns what is the same for all of them: no new
 * step once a stop was asked for, the transaction a step runs in, retries after lock_timeout,
 * turning a failure into the error that says what happened (and so the exit code), and the
 * progress events.
 */
import type pg from 'pg';
import { now } from '../clock';
import { errorCode, errorMessage, isConnectionLost, ServerNotAnsweringError } from '../db/client';
import { ensureMigrationLockHeld, lockReleasedFailure } from '../db/lock';
import { describeLockWait, type LockWatcher } from '../db/lock-watch';
import { describeSqlFailure, formatLocation, positionInFile } from '../db/sql-error';
import { runFileThenReset, ScriptStoppedError, stoppedOutcome } from '../db/script';
import { inTransaction } from '../db/transaction';
import { DatabaseUnavailableError, InterruptedError, MigrationFailedError, MigratorError } from '../errors';
import type { Logger } from '../log';
import type { Step } from '../phases/phase';
import { stepLabel, type MigratorEvent, type PlannedStep } from '../results';
import { buildPlacesOf, indexesBuiltBy, invalidIndexes } from '../phases/concurrent-indexes';
import { sleep } from '../sleep';
import { splitStatements, transactionControl } from '../source/statements';

export interface RunContext {
  /** The run's one connection; it holds the migration lock when the command writes. */
  client: pg.Client;
  logger: Logger;
  signal?: AbortSignal;
  /** How many times a step (or the planning) that hit lock_timeout is tried again. */
  lockRetries: number;
  /** Present when a lock timeout is set: tells what a timed-out statement was waiting for. */
  lockWatcher?: LockWatcher;
  emit(event: MigratorEvent): void;
}

/** Where a step stands in the run, for progress events. */
export interface Position {
  index: number;
  total: number;
}

const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';
const ACTIVE_SQL_TRANSACTION = '25001';
const FIRST_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 10_000;

/** A step's public face, as plans and events show it (without what only the runner needs). */
export function plannedStep({ phase, kind, file, action, sql, column, table, version, withoutTransaction, postDeploy }: Step): PlannedStep {
  return {
    phase,
    kind,
    file,
    action,
    sql,
    ...(column !== undefined && { column }),
    ...(table !== undefined && { table }),
    ...(version !== undefined && { version }),
    ...(withoutTransaction && { withoutTransaction }),
    ...(postDeploy && { postDeploy }),
  };
}

/** How messages name a step. */
const nameOf = (step: Step) => step.label ?? stepLabel(step);

/** A script whose merged statement PostgreSQL's parser has just split (db/script.ts): its transaction runs again. */
const mustRunAgain = (error: unknown) => error instanceof ScriptStoppedError && error.stop === 'run-again';

/**
 * Runs work; when it gave up at lock_timeout (its transaction rolled back), waits and tries
 * again, up to lockRetries times, so that a migration yields to application traffic instead of
 * queueing it. A script that must run again (a merged statement just split) runs again at once.
 */
export async function withLockRetries<T>(context: RunContext, fields: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (mustRunAgain(error) && !context.signal?.aborted) {
        // Not a lock timeout: at once, and not counted. Each time one more merged statement is known split.
        context.logger.info({ ...fields, line: (error as ScriptStoppedError).line }, (error as Error).message);
        attempt--;
        continue;
      }
      const lockTimedOut = errorCode(error) === LOCK_NOT_AVAILABLE || errorCode((error as Error | undefined)?.cause) === LOCK_NOT_AVAILABLE;
      if (!lockTimedOut || attempt > context.lockRetries || context.signal?.aborted) throw error;
      const retryInMs = Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
      const wait = context.lockWatcher?.lastWait();
      context.logger.warn(
        { ...fields, attempt, retryInMs, ...(wait && { relation: wait.relation, blockingPids: wait.blockingPids }) },
        `lock timeout${wait ? ` (${describeLockWait(wait)})` : ''}: rolled back, trying again`,
      );
      await sleep(retryInMs, context.signal);
      InterruptedError.throwIfAborted(context.signal);
    }
  }
}

type Stage = 'plan' | 'apply';

/** What became of a step's work when it stopped: the end of every failure and interruption message. */
function outcomeOf(step: Step, stage: Stage, error?: unknown): string {
  if (stage === 'plan') return 'found while planning, so nothing was changed';
  if (step.transaction === 'phase')
    return `the one transaction of every ${step.phase} file was rolled back, so none of them stayed applied`;
  // A rebuild sends its DROP and its CREATE apart: the drop stays, the new build may stay INVALID.
  if (step.kind === 'index')
    return 'it stopped while its INVALID index was being dropped and built again, so a new INVALID index may be left: the next up drops and builds it again';
  return step.transaction === 'none' ? whatStayed(step.sql, error) : 'its transaction was rolled back';
}

/**
 * What stayed of a step that ran without a transaction of ours: PostgreSQL runs its statements as
 * one query, in one implicit transaction unless the file commits along the way.
 */
function whatStayed(sql: string, error: unknown): string {
  const statements = splitStatements(sql);
  const commits = statements.filter((statement) => ['COMMIT', 'END'].includes(transactionControl(statement) ?? ''));
  if (commits.length === 0) {
    return statements.length > 1
      ? `PostgreSQL ran its ${statements.length} statements as one implicit transaction, so none of them stayed applied`
      : 'nothing of it stayed applied' +
          (indexesBuiltBy(sql).length > 0 ? ' but its INVALID index, which the next up drops and builds again' : '');
  }
  const position = Number((error as { position?: string } | undefined)?.position);
  const failing = Number.isInteger(position) ? statements.find((statement) => statement.end >= position - 1) : undefined;
  const committed = failing ? commits.filter((commit) => commit.offset < failing.offset).at(-1) : undefined;
  if (failing)
    return committed
      ? `the statements up to its COMMIT on line ${committed.line} stay applied, the ones after it were rolled back`
      : 'nothing of it stayed applied: it failed before its first COMMIT';
  return 'the statements up to its last COMMIT before the failure stay applied';
}

/**
 * What became of a step whose connection we closed because the server stopped answering: the
 * server finds out only when it runs again, so the step ends then, not now.
 */
function unansweredOutcome(step: Step, stage: Stage): string {
  if (stage === 'plan') return 'nothing was changed (planning is always rolled back)';
  return step.transaction === 'none'
    ? 'it runs without a transaction, so what it did stays, and the server may carry on with its statement until it runs again and sees the connection closed'
    : 'the connection was closed, so the server rolls its transaction back when it runs again and sees that (unless it was committing at that moment: `migrator status` shows which)';
}

/** Turns an error raised while a step ran (or was dry-run) into the error that says what happened. */
export function stepFailure(error: unknown, context: RunContext, step: Step, stage: Stage, advice?: string): Error {
  const name = nameOf(step);
  if (context.signal?.aborted) {
    if (stage === 'plan') return InterruptedError.from(context.signal, 'while planning, nothing was changed');
    if (error instanceof ServerNotAnsweringError)
      return InterruptedError.from(context.signal, `during ${name}, and ${error.message}; ${unansweredOutcome(step, stage)}`);
    return InterruptedError.from(context.signal, `during ${name}; ${outcomeOf(step, stage, error)}`);
  }
  if (error instanceof MigratorError) return error;
  if (mustRunAgain(error)) return error as ScriptStoppedError;
  if (error instanceof ScriptStoppedError) {
    const outcome =
      stage === 'apply' && error.stop !== 'ended-transaction' ? outcomeOf(step, stage, error) : stoppedOutcome(error.stop, stage);
    return new MigrationFailedError(
      `${step.phase}/${step.file}:${error.line}: ${error.message}; ${outcome}`,
      step.phase,
      step.file,
      { line: error.line },
      { cause: error },
    );
  }
  const released = lockReleasedFailure(error, name, step.phase, step.file, step.transaction === 'none');
  if (released) return released;
  if (error instanceof ServerNotAnsweringError) {
    return new DatabaseUnavailableError(
      `${error.message} while ${stage === 'plan' ? 'planning' : 'running'} ${name}; ${unansweredOutcome(step, stage)}`,
      undefined,
      { cause: error },
    );
  }
  if (isConnectionLost(error)) {
    return new DatabaseUnavailableError(
      `lost the database connection while ${stage === 'plan' ? 'planning' : 'running'} ${name}: ${errorMessage(error)}; ${outcomeOf(step, stage, error)}`,
      errorCode(error),
      {
        cause: error,
      },
    );
  }
  const failure = describeSqlFailure(error, step.sql);
  let reason = errorMessage(error);
  if (failure.pgCode === LOCK_NOT_AVAILABLE) {
    const wait = context.lockWatcher?.lastWait();
    if (wait) Object.assign(failure, { relation: wait.relation, blockingPids: wait.blockingPids });
    reason += ` (${wait ? `${describeLockWait(wait)}; ` : ''}gave up after ${context.lockRetries + 1} attempts with MIGRATOR_LOCK_TIMEOUT)`;
  } else if (failure.pgCode === QUERY_CANCELED) {
    reason += ' (MIGRATOR_STATEMENT_TIMEOUT)';
  }
  const where = step.label ?? `${step.phase}/${formatLocation(step.file, failure)}`;
  return new MigrationFailedError(
    `${where} failed: ${reason}; ${outcomeOf(step, stage, error)}${advice ? `; ${advice}` : ''}`,
    step.phase,
    step.file,
    failure,
    { cause: error },
  );
}

/** What to do after a step that ran without a transaction failed. */
async function noTransactionAdvice(client: pg.Client, step: Step, error: unknown): Promise<string> {
  if (errorCode(error) === ACTIVE_SQL_TRANSACTION) {
    return 'PostgreSQL runs a file of several statements as one implicit transaction, so a statement that refuses a transaction must be alone in its file: split it';
  }
  const invalid = await invalidIndexes(client, buildPlacesOf(step.sql)).catch(() => []);
  return `fix the cause, then run again${invalid.length > 0 ? ` (INVALID now: ${invalid.join(', ')})` : ''}`;
}

/** The planning transaction: begun by the first dry run that needs it, rolled back at the end. */
export interface Planning {
  /** Runs SQL of the migrator's own (one simple query, batched) in the planning transaction. */
  dryRun(step: Step, sql: string): Promise<pg.QueryResult[]>;
  /**
   * Runs a file's statements one at a time (db/script.ts) in the planning transaction, then gives
   * the session back its own state, with `then` (SQL of the migrator's own) in the same query.
   * Resolves with the result of that query's last statement.
   */
  dryRunScript(step: Step, sql: string, then?: string): Promise<pg.QueryResult>;
  /** Rolls back everything the dry runs did. */
  end(): Promise<void>;
}

/** The results of every statement of a simple query. */
async function queryAll(client: pg.Client, sql: string): Promise<pg.QueryResult[]> {
  const result = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
  return Array.isArray(result) ? result : [result];
}

export function startPlanning(context: RunContext): Planning {
  let begun = false;
  return {
    async dryRun(step, sql) {
      InterruptedError.throwIfAborted(context.signal);
      // Sent with the first dry run: one round trip less on every start.
      const prefix = begun ? '' : 'BEGIN;';
      begun = true;
      try {
        return await queryAll(context.client, prefix + sql);
      } catch (error) {
        throw stepFailure(positionInFile(error, prefix), context, step, 'plan');
      }
    },
    async dryRunScript(step, sql, then) {
      InterruptedError.throwIfAborted(context.signal);
      try {
        if (!begun) await context.client.query('BEGIN');
        begun = true;
        return await runFileThenReset(context.client, sql, then);
      } catch (error) {
        throw stepFailure(error, context, step, 'plan');
      }
    },
    async end() {
      if (!begun) return;
      begun = false;
      await context.client.query('ROLLBACK');
    },
  };
}

/**
 * Applies one step: in a transaction of the runner's when the step asks for one, tried again
 * after lock timeouts, with an event before and after. `beforeCommit`: SQL of the migrator's own
 * run in that transaction after the step's work (the run's last step: the schema's record).
 */
export async function applyStep(
  context: RunContext,
  step: Step,
  position: Position,
  work: () => Promise<void>,
  beforeCommit?: string,
): Promise<void> {
  InterruptedError.throwIfAborted(context.signal);
  const planned = plannedStep(step);
  context.emit({ type: 'applying', step: planned, ...position });
  const started = now();
  try {
    await withLockRetries(context, { phase: step.phase, file: step.file }, () =>
      step.transaction === 'runner'
        ? inTransaction(context.client, async () => {
            await work();
            if (beforeCommit) await context.client.query(beforeCommit);
            await ensureMigrationLockHeld(context.client);
          })
        : work(),
    );
  } catch (error) {
    const advice =
      step.transaction === 'none' && !context.signal?.aborted && !isConnectionLost(error)
        ? await noTransactionAdvice(context.client, step, error)
        : undefined;
    const failure = stepFailure(error, context, step, 'apply', advice);
    context.emit({ type: 'failed', step: planned, ...position, durationMs: Math.round(now() - started), error: failure });
    throw failure;
  }
  context.emit({ type: 'applied', step: planned, ...position, durationMs: Math.round(now() - started) });
}

/** A step applied with others in one transaction (applyTogether), and the work that applies it. */
export interface TogetherStep {
  step: Step;
  position: Position;
  work: () => Promise<void>;
}

/**
 * Applies steps in one transaction of the runner's (a phase's steps with transaction 'phase'),
 * tried again as a whole after lock timeouts. Each step has its 'applying' event as it starts, and
 * its 'applied' event only once the transaction committed. A failure names the step that failed,
 * and rolls them all back. `beforeCommit` as for applyStep.
 */
export async function applyTogether(context: RunContext, group: TogetherStep[], beforeCommit?: string): Promise<void> {
  InterruptedError.throwIfAborted(context.signal);
  let current = group[0];
  const durations: number[] = [];
  let started = now();
  try {
    await withLockRetries(context, { phase: current.step.phase }, () =>
      inTransaction(context.client, async () => {
        for (const [index, member] of group.entries()) {
          InterruptedError.throwIfAborted(context.signal);
          current = member;
          started = now();
          context.emit({ type: 'applying', step: plannedStep(member.step), ...member.position });
          await member.work();
          durations[index] = Math.round(now() - started);
        }
        if (beforeCommit) await context.client.query(beforeCommit);
        await ensureMigrationLockHeld(context.client);
      }),
    );
  } catch (error) {
    const failure = stepFailure(error, context, current.step, 'apply');
    context.emit({
      type: 'failed',
      step: plannedStep(current.step),
      ...current.position,
      durationMs: Math.round(now() - started),
      error: failure,
    });
    throw failure;
  }
  for (const [index, member] of group.entries()) {
    context.emit({ type: 'applied', step: plannedStep(member.step), ...member.position, durationMs: durations[index] });
  }
}
