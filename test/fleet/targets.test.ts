/** The targets list: parsing, refusals, order and shards (no database needed). */
import { ConfigError } from '../../src/errors';
import { checkedTargets, inShard, parseShard, parseTargetsFile, shardOf, targetLabel, type Target } from '../../src/fleet/targets';

const schemas = (count: number): Target[] =>
  Array.from({ length: count }, (_, index) => ({ kind: 'schema', name: `tenant_${String(index).padStart(4, '0')}` }));

describe('a targets file', () => {
  test('one kind:name per line, comments and blank lines skipped, kinds mixed, ordered by label', () => {
    const text = '# tenants\nschema:beta\n\n  database:gamma  \r\nschema:Alpha\n# end\n';
    expect(parseTargetsFile(text, 'tenants.txt').map(targetLabel)).toEqual(['database:gamma', 'schema:Alpha', 'schema:beta']);
  });

  test.each([
    ['a duplicate', 'schema:a\nschema:a\n', /schema:a is listed twice/],
    ['an unknown kind', 'table:a\n', /tenants.txt:1: "table:a" is not schema:NAME or database:NAME/],
    ['a line without a kind', 'acme\n', /tenants.txt:1: "acme"/],
    ['an empty name', 'schema:\n', /an empty schema name/],
    ['a name PostgreSQL would cut', `schema:${'x'.repeat(64)}\n`, /longer than PostgreSQL's 63 bytes/],
  ])('refuses %s (exit 2)', (_, text, message) => {
    const parse = () => parseTargetsFile(text, 'tenants.txt');
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });

  test('a name of 63 bytes in multi-byte characters is kept; 64 bytes are refused', () => {
    expect(parseTargetsFile(`schema:${'é'.repeat(31)}x\n`, 'f')).toHaveLength(1);
    expect(() => parseTargetsFile(`schema:${'é'.repeat(32)}\n`, 'f')).toThrow(/63 bytes/);
  });
});

describe('shards', () => {
  test.each(['0/1', '0/3', '2/3', '7/8'])('%s is a shard', (text) => {
    const [index, count] = text.split('/').map(Number);
    expect(parseShard(text)).toEqual({ index, count });
  });

  test.each(['3/3', '1/0', '-1/3', '1', 'a/b', '1/3/5', ' 1/3'])('"%s" is refused (exit 2)', (text) => {
    expect(() => parseShard(text)).toThrow(ConfigError);
  });

  test('N shards are disjoint, cover every target, and do not depend on the order the targets were listed in', () => {
    const targets = checkedTargets(schemas(1000), 'test');
    const shuffled = checkedTargets([...targets].reverse(), 'test');
    const shards = [0, 1, 2].map((index) => inShard(targets, { index, count: 3 }).map(targetLabel));
    const all = shards.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(targets.map(targetLabel).sort());
    expect([0, 1, 2].map((index) => inShard(shuffled, { index, count: 3 }).map(targetLabel))).toEqual(shards);
    // Spread, not all in one: each of 3 shards gets a fair part of 1,000.
    for (const shard of shards) expect(shard.length).toBeGreaterThan(250);
  });

  test('a target keeps its shard from run to run (a fixed hash, not a random or per-process one)', () => {
    expect(shardOf({ kind: 'schema', name: 'tenant_0001' }, 1000)).toBe(shardOf({ kind: 'schema', name: 'tenant_0001' }, 1000));
    expect(shardOf({ kind: 'schema', name: 'acme' }, 2 ** 31)).toBe(2115424807);
  });
});
