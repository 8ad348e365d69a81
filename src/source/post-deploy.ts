/**
 * Post-deploy migrations: a versioned file whose header (the comment lines before its first
 * statement) has this line is applied only by `up --post-deploy`, after the rollout, when no pod
 * of the earlier release is left to break: the contract half of an expand/contract change
 * (dropping what the old release still reads, renaming, retyping).
 */

export const POST_DEPLOY_MARKER = '-- migrator: post-deploy';

/** Whether the file's header marks it post-deploy. Reads only as far as the header goes. */
export function isPostDeploy(sql: string): boolean {
  for (let start = 0; start < sql.length; ) {
    const end = sql.indexOf('\n', start);
    const line = sql.slice(start, end === -1 ? sql.length : end).trim();
    if (line === POST_DEPLOY_MARKER) return true;
    if (line !== '' && !line.startsWith('--')) return false;
    if (end === -1) return false;
    start = end + 1;
  }
  return false;
}
