// Floor of the up-to-date fleet: load node-postgres, open FLEET_PARALLEL connections, and read each
// tenant's history with one query (its highest id), FLEET_PARALLEL at a time, each connection
// taking the next tenant of the targets file as it is free. The least a fleet run that reads every
// tenant's history can do.
'use strict';
const { readFileSync } = require('node:fs');
const { Client } = require('pg');

const schemas = readFileSync(process.env.FLEET_TARGETS_FILE, 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('schema:'))
  .map((line) => line.slice('schema:'.length));
const parallel = Number(process.env.FLEET_PARALLEL);
let next = 0;

async function worker() {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    while (next < schemas.length) {
      const schema = schemas[next++];
      await client.query(`SELECT max(id) FROM ${client.escapeIdentifier(schema)}.migrations`);
    }
  } finally {
    await client.end();
  }
}

Promise.all(Array.from({ length: parallel }, worker)).then(
  () => process.exit(0),
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
