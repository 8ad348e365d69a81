// Reference for a fleet applying one file to each tenant: FLEET_PARALLEL at a time, a new
// connection per tenant (as the migrator's full pipeline opens one per target), then
// BEGIN; SET LOCAL search_path; the file; COMMIT. Shows what a connection per target costs beside
// the psql floor, whose sessions each serve many tenants.
'use strict';
const { readFileSync } = require('node:fs');
const { Client } = require('pg');
const { exitWith, schemas } = require('./fleet-tenants.cjs');

const sql = readFileSync(process.env.FLEET_FILE, 'utf8');
let next = 0;

async function worker() {
  while (next < schemas.length) {
    const schema = schemas[next++];
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`BEGIN; SET LOCAL search_path TO ${client.escapeIdentifier(schema)}; ${sql}; COMMIT`);
    } finally {
      await client.end();
    }
  }
}

exitWith(Promise.all(Array.from({ length: Number(process.env.FLEET_PARALLEL) }, worker)).then(() => true));
