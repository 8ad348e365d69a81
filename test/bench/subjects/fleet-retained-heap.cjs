// What a fleet run keeps per target, as opposed to what its peak RSS shows: `fleet up` through the
// library on the targets of FLEET_TARGETS_FILE (FLEET_PARALLEL at a time, logging nothing), with a
// full garbage collection before and after (node --expose-gc). Prints the heap still in use after
// the run less the heap before it, in bytes, and the number of targets, as one JSON line.
'use strict';
const path = require('node:path');
const { createMigrator, loadConfig } = require(path.resolve(__dirname, '../../../dist/index.js'));

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function main() {
  const migrator = createMigrator(loadConfig(process.env), { logger: quiet });
  global.gc();
  const before = process.memoryUsage().heapUsed;
  const report = await migrator.fleet('up', { targetsFile: process.env.FLEET_TARGETS_FILE, parallel: Number(process.env.FLEET_PARALLEL) });
  global.gc();
  const retainedBytes = process.memoryUsage().heapUsed - before;
  // The report is what the run hands back: it stays reachable until here, as the CLI's summary needs it.
  console.log(JSON.stringify({ targets: report.results.length, retainedBytes }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
