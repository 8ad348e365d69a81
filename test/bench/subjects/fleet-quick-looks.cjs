// Reference for the up-to-date fleet: the history-reads floor's process and connections, but each
// tenant gets the migrator's own quick look (dist/fleet/quick-look.js) instead of one history
// read. Between the floor and `fleet up`, it tells what the quick look's checks cost on the server
// from what the CLI adds around them. Exits 1 unless every tenant is found current.
'use strict';
const path = require('node:path');
const { exitWith, onKeptConnections } = require('./fleet-tenants.cjs');
const dist = path.resolve(__dirname, '../../../dist');
const { loadMigrationSet } = require(path.join(dist, 'source/index.js'));
const { expectedOf, quickLook } = require(path.join(dist, 'fleet/quick-look.js'));

const expected = expectedOf(loadMigrationSet(process.env.MIGRATIONS_DIR), { postDeploy: false });
let behind = 0;

exitWith(
  onKeptConnections(async (client, schema) => {
    const looked = await quickLook(client, schema, expected);
    if (!looked?.current) behind += 1;
  }).then(() => {
    if (behind > 0) console.error(`${behind} tenant(s) not found current`);
    return behind === 0;
  }),
);
