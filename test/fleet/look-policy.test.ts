/** When the fleet looks at a target before its full run (src/fleet/look-policy.ts). */
import { lookPolicy, type LookPolicy } from '../../src/fleet/look-policy';

/** Which of the next `count` targets are looked at, each look finding `current`. */
function looksAt(policy: LookPolicy, count: number, current: (index: number) => boolean): number[] {
  const looked: number[] = [];
  for (let index = 0; index < count; index++) {
    if (!policy.shouldLook()) continue;
    looked.push(index);
    policy.found(current(index));
  }
  return looked;
}

describe('lookPolicy', () => {
  test('every target is looked at while the looks find targets current', () => {
    expect(looksAt(lookPolicy(4), 50, () => true)).toHaveLength(50);
  });

  test('after `streak` misses in a row, one target in `streak` is looked at', () => {
    expect(looksAt(lookPolicy(4), 20, () => false)).toEqual([0, 1, 2, 3, 7, 11, 15, 19]);
  });

  test('misses broken by a hit never stop the looks', () => {
    expect(looksAt(lookPolicy(4), 30, (index) => index % 4 === 3)).toHaveLength(30);
  });

  test('the first hit among the sampled looks makes it look at every target again', () => {
    // Targets 0-9 need the release; from 10 on, a run already brought them up to date.
    const looked = looksAt(lookPolicy(4), 30, (index) => index >= 10);

    expect(looked.slice(0, 6)).toEqual([0, 1, 2, 3, 7, 11]);
    expect(looked.slice(6)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  });
});
