/**
 * A file's header: the comment lines before its first statement, where markers live (post-deploy,
 * and the origin of a file imported from another tool). Read lazily, line by line, so that asking
 * about a very large file reads only as far as its header goes.
 */

/** The header's lines, trimmed, blank ones left out; ends at the first line that is not a `--` comment. */
export function* headerLines(sql: string): Generator<string> {
  for (let start = 0; start < sql.length;) {
    const end = sql.indexOf('\n', start);
    const line = sql.slice(start, end === -1 ? sql.length : end).trim();
    if (line !== '' && !line.startsWith('--')) return;
    if (line !== '') yield line;
    if (end === -1) return;
    start = end + 1;
  }
}
