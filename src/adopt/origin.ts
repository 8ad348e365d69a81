/**
 * The header line that ties a versioned file to the other tool's migration it came from:
 * `-- migrator: from golang-migrate 20230101120000 (20230101120000_create_users.up.sql)`.
 * `import` writes it; for Alembic, whose revisions are Python, people write it by hand.
 * `baseline --from` matches the tool's history to files by it.
 */
import { NO_TRANSACTION_MARKER } from '../history';
import { headerLines } from '../source/header';

const ORIGIN_PREFIX = '-- migrator: from ';
const ORIGIN_LINE = /^-- migrator: from (\S+) (\S+)/;

export interface Origin {
  tool: string;
  version: string;
}

export function originLine(tool: string, version: string, sources: string[]): string {
  return `${ORIGIN_PREFIX}${tool} ${version} (${sources.join(', ')})`;
}

/** The file's origin, when its header names one. Reads only as far as the header goes. */
export function originOf(sql: string): Origin | undefined {
  for (const line of headerLines(sql)) {
    const match = ORIGIN_LINE.exec(line);
    if (match) return { tool: match[1], version: match[2] };
  }
  return undefined;
}

/**
 * The other tool's script inside a file import wrote: what follows its header (the origin line,
 * the no-transaction marker when there is one, and a blank line). Undefined when the file does not
 * start that way any more.
 */
export function importedScript(sql: string): string | undefined {
  const end = sql.indexOf('\n');
  if (!sql.startsWith(ORIGIN_PREFIX) || end === -1) return undefined;
  let rest = sql.slice(end + 1);
  if (rest.startsWith(`${NO_TRANSACTION_MARKER}\n`)) rest = rest.slice(NO_TRANSACTION_MARKER.length + 1);
  return rest.startsWith('\n') ? rest.slice(1) : undefined;
}
