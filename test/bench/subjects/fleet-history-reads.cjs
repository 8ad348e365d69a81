// Floor of the up-to-date fleet: load node-postgres, open FLEET_PARALLEL connections, and read each
// tenant's history with one query (its highest id), FLEET_PARALLEL at a time, each connection
// taking the next tenant of the targets file as it is free. The least a fleet run that reads every
// tenant's history can do.
'use strict';
const { exitWith, onKeptConnections } = require('./fleet-tenants.cjs');

exitWith(
  onKeptConnections((client, schema) => client.query(`SELECT max(id) FROM ${client.escapeIdentifier(schema)}.migrations`)).then(() => true),
);
