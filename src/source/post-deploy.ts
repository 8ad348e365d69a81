/**
 * Post-deploy migrations: a versioned file whose header (the comment lines before its first
 * statement) has this line is applied only by `up --post-deploy`, after the rollout, when no pod
 * of the earlier release is left to break: the contract half of an expand/contract change
 * (dropping what the old release still reads, renaming, retyping).
 */
import { headerLines } from './header';

export const POST_DEPLOY_MARKER = '-- migrator: post-deploy';

/** Whether the file's header marks it post-deploy. Reads only as far as the header goes. */
export function isPostDeploy(sql: string): boolean {
  for (const line of headerLines(sql)) if (line === POST_DEPLOY_MARKER) return true;
  return false;
}
