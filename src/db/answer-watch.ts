/**
 * A server that stops answering: a frozen host, a paused container, a network that drops packets
 * without resetting anything. PostgreSQL cannot enforce its statement_timeout while frozen, and TCP
 * keepalive does not notice when the host's kernel still answers (a paused container's does), so a
 * run would wait forever. A timeout on each query cannot tell either: PostgreSQL applies
 * statement_timeout to each statement of a query, and a migration file is one query of many
 * statements, so a healthy one may stay silent for far longer than the timeout.
 *
 * So the run's connection is watched instead. While it waits for an answer and nothing has come
 * from the server for QUIET_MS, a new short connection asks the server a trivial question; a server
 * that answers it is left to finish, however long that takes (and asked again every QUIET_MS). When
 * that question gets no answer within CHECK_MS either, the run's connection is closed with
 * ServerNotAnsweringError, which fails whatever waited on it. The server, once it runs again, sees
 * the connection closed (client_connection_check_interval, session.ts) and rolls back.
 */
import type { Socket } from 'node:net';
import type pg from 'pg';
import { now } from '../clock';
import type { ConnectionSettings } from '../config';
import type { Logger } from '../log';
import { askOnce } from './ask-once';
import { dropConnection, ServerNotAnsweringError } from './client';

/** How long the run's connection may wait without hearing from the server before it is checked. */
export const QUIET_MS = 10_000;
/**
 * How long the check may take, connecting included: generous, because giving up on a server that
 * is only slow (a DNS lookup retried after 5 s, a machine under load) throws away a healthy run.
 */
export const CHECK_MS = 10_000;
/** How often the watch looks: the bound on how late a check starts. */
const TICK_MS = 1000;

export interface AnswerWatch {
  /** Closes the run's connection as one the server no longer answers (reason: what showed it). */
  giveUp(reason: string): void;
  stop(): void;
}

export function watchAnswers(client: pg.Client, settings: ConnectionSettings, logger: Logger): AnswerWatch {
  const connection = client.connection;
  // node-postgres talks over a net.Socket (a TLSSocket once TLS is up, before we get the client).
  const written = () => (connection.stream as Socket).bytesWritten;
  // Without pipelining, node-postgres sends a query only once the one before it is answered, and
  // every answer ends with ReadyForQuery: so an answer is owed while more bytes have been written
  // than when the last ReadyForQuery came.
  let writtenWhenReady = written();
  let heardAt = now();
  let waitingSince: number | undefined;
  let checking = false;
  let stopped = false;
  const onMessage = (message: { name: string }) => {
    heardAt = now();
    if (message.name === 'readyForQuery') writtenWhenReady = written();
  };
  connection.on('message', onMessage);

  const giveUp = (reason: string) => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    dropConnection(client, new ServerNotAnsweringError(`the database server stopped answering (${reason})`));
  };
  const look = () => {
    if (written() === writtenWhenReady) {
      waitingSince = undefined;
      return;
    }
    waitingSince ??= now();
    const asked = now();
    const quietMs = Math.round(asked - Math.max(heardAt, waitingSince));
    if (checking || quietMs < QUIET_MS) return;
    checking = true;
    void askOnce(settings, 'SELECT 1', [], CHECK_MS).then((answer) => {
      checking = false;
      logger.debug({ quietMs, answered: answer !== undefined }, 'checked whether the database server still answers');
      // Answered: the server is up and our statement still running; look again in QUIET_MS. The
      // run's connection hearing from it meanwhile says as much.
      if (answer) heardAt = now();
      else if (heardAt < asked)
        giveUp(`no answer on the run's connection for ${QUIET_MS / 1000} s, and none on a new connection within ${CHECK_MS / 1000} s`);
    });
  };
  const timer = setInterval(look, TICK_MS).unref();

  return {
    giveUp,
    stop() {
      stopped = true;
      clearInterval(timer);
      connection.off('message', onMessage);
    },
  };
}
