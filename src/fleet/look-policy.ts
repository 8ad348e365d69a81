/**
 * When the fleet's quick look (quick-look.ts) is worth its query. It costs a query per target and
 * saves the full pipeline only where the target turns out current: in a release that every target
 * needs, it misses on each, and each target pays for the look and then for the full run. So after
 * `streak` misses in a row the fleet looks at one target in `streak` only, and the first hit (the
 * rest of a fleet that a run already brought up to date) makes it look at every target again.
 * A target not looked at gets the full pipeline, which finds a current target current too: the
 * policy changes what a run costs, never what it reports.
 */
export interface LookPolicy {
  /** Whether to look at the next target. */
  shouldLook(): boolean;
  /** What a look found. */
  found(current: boolean): void;
}

export function lookPolicy(streak: number): LookPolicy {
  let misses = 0;
  let passed = 0;
  return {
    shouldLook() {
      if (misses < streak || passed + 1 >= streak) {
        passed = 0;
        return true;
      }
      passed += 1;
      return false;
    },
    found(current) {
      misses = current ? 0 : misses + 1;
    },
  };
}
