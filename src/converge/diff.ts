/** How an upgraded database's schema differs from a fresh install's, in words a person can act on. */
import type { SchemaDifference } from '../results';
import type { SchemaFacts } from './schema';

/** " (text NOT NULL)": an object's facts in one line, or nothing when it has none. */
const summary = (facts: Record<string, string>, prefix = '') => {
  const text = Object.values(facts).join(' ');
  return text === '' ? '' : ` (${prefix}${text})`;
};

export function compareSchemas(fresh: SchemaFacts, upgraded: SchemaFacts): SchemaDifference[] {
  const objects = [...new Set([...fresh.keys(), ...upgraded.keys()])].sort();
  const differences: SchemaDifference[] = [];
  for (const object of objects) {
    const expected = fresh.get(object);
    const actual = upgraded.get(object);
    if (!actual) {
      differences.push({ object, detail: `missing from the upgraded database${summary(expected!, 'fresh install: ')}` });
    } else if (!expected) {
      differences.push({ object, detail: `only in the upgraded database${summary(actual)}` });
    } else {
      const changed = [...new Set([...Object.keys(expected), ...Object.keys(actual)])]
        .filter((fact) => expected[fact] !== actual[fact])
        .map((fact) => `${fact}: fresh install ${expected[fact] ?? '(none)'}, upgraded ${actual[fact] ?? '(none)'}`);
      if (changed.length > 0) differences.push({ object, detail: changed.join('; ') });
    }
  }
  return differences;
}
