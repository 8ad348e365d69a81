// Reference for the up-to-date fleet: the history-reads floor's process and connections, but each
// tenant gets the migrator's own quick look (dist/fleet/quick-look.js) instead of one history
// read. Between the floor and `fleet up`, it tells what the quick look's checks cost on the server
// from what the CLI adds around them. Exits 1 unless every tenant is found current.
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const dist = path.resolve(__dirname, '../../../dist');
const { loadMigrationSet } = require(path.join(dist, 'source/index.js'));
const { expectedOf, quickLook } = require(path.join(dist, 'fleet/quick-look.js'));

const schemas = readFileSync(process.env.FLEET_TARGETS_FILE, 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('schema:'))
  .map((line) => line.slice('schema:'.length));
const parallel = Number(process.env.FLEET_PARALLEL);
const expected = expectedOf(loadMigrationSet(process.env.MIGRATIONS_DIR), { postDeploy: false });
let next = 0;
let behind = 0;

async function worker() {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    while (next < schemas.length) {
      const looked = await quickLook(client, schemas[next++], expected);
      if (!looked?.current) behind += 1;
    }
  } finally {
    await client.end();
  }
}

Promise.all(Array.from({ length: parallel }, worker)).then(
  () => {
    if (behind > 0) console.error(`${behind} tenant(s) not found current`);
    process.exit(behind > 0 ? 1 : 0);
  },
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
