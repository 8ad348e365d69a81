// What the fleet's Node floors and references share: the schema tenants of FLEET_TARGETS_FILE, and
// FLEET_PARALLEL connections to DATABASE_URL that each take the next tenant as they are free.
'use strict';
const { readFileSync } = require('node:fs');
const { Client } = require('pg');

const schemas = readFileSync(process.env.FLEET_TARGETS_FILE, 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('schema:'))
  .map((line) => line.slice('schema:'.length));

/** Calls `visit(client, schema)` for every tenant, FLEET_PARALLEL at a time, each connection kept from tenant to tenant. */
async function onKeptConnections(visit) {
  let next = 0;
  const worker = async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      while (next < schemas.length) await visit(client, schemas[next++]);
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: Number(process.env.FLEET_PARALLEL) }, worker));
}

/** Ends the process: 0 when `done` resolves to true, 1 (with the reason on stderr) otherwise. */
function exitWith(done) {
  done.then(
    (passed) => process.exit(passed ? 0 : 1),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}

module.exports = { schemas, onKeptConnections, exitWith };
