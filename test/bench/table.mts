/** The benchmark's output: one Markdown table per scenario, every figure with its ratio to the floor. */
import type { Stats } from './measure.mts';

export interface Targets {
  /** Largest allowed median wall time, as a multiple of the floor's. */
  wallRatio: number;
  /** Largest allowed peak RSS in MB (none where the run's RSS is not measured). */
  rssMB?: number;
}

export interface Scenario {
  title: string;
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

function verdict(row: Stats, scenario: Scenario): string {
  if (!scenario.targeted.includes(row.name)) return '';
  const wallOk = row.medianMs / scenario.floor.medianMs <= scenario.targets.wallRatio;
  const rssOk = row.rssMB === undefined || scenario.targets.rssMB === undefined || row.rssMB <= scenario.targets.rssMB;
  return wallOk && rssOk ? 'met' : `missed (${[wallOk ? '' : 'time', rssOk ? '' : 'RSS'].filter(Boolean).join(', ')})`;
}

export function formatScenario(scenario: Scenario): string {
  const { floor, targets } = scenario;
  const lines = [
    `${'#'.repeat(scenario.heading ?? 3)} ${scenario.title}`,
    '',
    `${scenario.runs} interleaved runs each. Targets for the migrator: median ≤ ${targets.wallRatio}× the floor` +
      (targets.rssMB === undefined ? '.' : `, peak RSS ≤ ${targets.rssMB} MB (median of the runs' peaks; the largest in brackets).`),
    '',
    '| run | median ms | × floor | min ms | × floor | peak RSS MB | × floor | target |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const row of [floor, ...scenario.rows]) {
    const isFloor = row === floor;
    const rss = row.rssMB === undefined ? '' : `${row.rssMB.toFixed(1)} (${row.rssMaxMB?.toFixed(1)})`;
    const rssRatio = row.rssMB !== undefined && floor.rssMB !== undefined ? ratio(row.rssMB, floor.rssMB) : '';
    lines.push(
      `| ${isFloor ? `floor: ${row.name}` : row.name} | ${ms(row.medianMs)} | ${ratio(row.medianMs, floor.medianMs)} | ` +
        `${ms(row.minMs)} | ${ratio(row.minMs, floor.minMs)} | ${rss} | ${rssRatio} | ${isFloor ? '' : verdict(row, scenario)} |`,
    );
  }
  return lines.join('\n');
}
