// Reference point: load node-postgres, connect, ask one question, disconnect. The least any
// Node migrator can do on every start.
'use strict';
const { Client } = require('pg');

const client = new Client({ connectionString: process.env.DATABASE_URL });
client
  .connect()
  .then(() => client.query('SELECT 1'))
  .then(() => client.end())
  .then(
    () => process.exit(0),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
