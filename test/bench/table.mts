/** The benchmark's output: Markdown tables, every figure with its ratio to the floor of the same run. */
import type { Stats } from './measure.mts';

export interface Targets {
  /** Largest allowed median wall time, as a multiple of the floor's. */
  wallRatio: number;
  /** Largest allowed peak RSS above the floor's, in MB (median of the runs' peaks; none where the floor's is not measured). */
  rssAboveFloorMB?: number;
}

export interface Scenario {
  title: string;
  /** What the floor is and why, one sentence, printed under the title. */
  note?: string;
  floor: Stats;
  rows: Stats[];
  /** The rows the targets apply to (the migrator's), by name. */
  targeted: string[];
  targets: Targets;
  runs: number;
  /** Markdown heading level of the title (default 3). */
  heading?: number;
}

const ms = (value: number) => value.toFixed(1);
const ratio = (value: number, floor: number) => `${(value / floor).toFixed(2)}×`;
const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(1)}`;

export function verdict(checks: Array<[string, boolean]>): string {
  const missed = checks.filter(([, ok]) => !ok).map(([what]) => what);
  return missed.length === 0 ? 'met' : `**missed** (${missed.join(', ')})`;
}

function rowVerdict(row: Stats, scenario: Scenario): string {
  if (!scenario.targeted.includes(row.name)) return '';
  const { floor, targets } = scenario;
  const checks: Array<[string, boolean]> = [['time', row.medianMs / floor.medianMs <= targets.wallRatio]];
  if (targets.rssAboveFloorMB !== undefined && row.rssMB !== undefined && floor.rssMB !== undefined) {
    checks.push(['RSS', row.rssMB - floor.rssMB <= targets.rssAboveFloorMB]);
  }
  return verdict(checks);
}

export function formatScenario(scenario: Scenario): string {
  const { floor, targets } = scenario;
  const lines = [
    `${'#'.repeat(scenario.heading ?? 3)} ${scenario.title}`,
    '',
    ...(scenario.note ? [scenario.note, ''] : []),
    `${scenario.runs} interleaved run${scenario.runs === 1 ? '' : 's'} each. Targets for the migrator's rows: median ≤ ${targets.wallRatio}× the floor` +
      (targets.rssAboveFloorMB === undefined ? '.' : `, peak RSS ≤ the floor's + ${targets.rssAboveFloorMB} MB.`) +
      " Peak RSS: the median of the runs' peaks, the largest in brackets.",
    '',
    '| run | median ms | × floor | min ms | × floor | peak RSS MB | − floor MB | target |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const row of [floor, ...scenario.rows]) {
    const isFloor = row === floor;
    const rss = row.rssMB === undefined ? '' : `${row.rssMB.toFixed(1)} (${row.rssMaxMB?.toFixed(1)})`;
    const rssAbove = row.rssMB !== undefined && floor.rssMB !== undefined && !isFloor ? signed(row.rssMB - floor.rssMB) : '';
    lines.push(
      `| ${isFloor ? `floor: ${row.name}` : row.name} | ${ms(row.medianMs)} | ${ratio(row.medianMs, floor.medianMs)} | ` +
        `${ms(row.minMs)} | ${ratio(row.minMs, floor.minMs)} | ${rss} | ${rssAbove} | ${rowVerdict(row, scenario)} |`,
    );
  }
  return lines.join('\n');
}

export interface GrowthRow {
  name: string;
  small: Stats;
  large: Stats;
  targeted: boolean;
}

/** How much each no-op row's median grows from the small to the large history, per 1,000 migrations. */
export function formatGrowth(title: string, sizes: { small: number; large: number }, rows: GrowthRow[], targetMsPer1000: number): string {
  const per1000 = (row: GrowthRow) => ((row.large.medianMs - row.small.medianMs) * 1000) / (sizes.large - sizes.small);
  const lines = [
    `### ${title}`,
    '',
    `Median at ${sizes.large.toLocaleString('en')} applied minus median at ${sizes.small} applied, per 1,000 migrations. ` +
      `Target for the migrator's rows: under ${targetMsPer1000} ms per 1,000. The floor reads no files, so its growth is this run's noise.`,
    '',
    `| run | median ms, ${sizes.small} | median ms, ${sizes.large.toLocaleString('en')} | ms per 1,000 | target |`,
    '|---|--:|--:|--:|---|',
  ];
  for (const row of rows) {
    const growth = per1000(row);
    lines.push(
      `| ${row.name} | ${ms(row.small.medianMs)} | ${ms(row.large.medianMs)} | ${signed(growth)} | ${row.targeted ? verdict([['growth', growth < targetMsPer1000]]) : ''} |`,
    );
  }
  return lines.join('\n');
}
