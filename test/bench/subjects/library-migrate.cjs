// Reference point: postgres-migrations' own migrate() on MIGRATIONS_DIR/versioned, as an app using
// the library directly would call it (its own connection and lock).
'use strict';
const path = require('node:path');
const { migrate } = require('postgres-migrations');

const url = new URL(process.env.DATABASE_URL);
const dbConfig = {
  host: url.hostname,
  port: Number(url.port),
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
};
migrate(dbConfig, path.join(process.env.MIGRATIONS_DIR, 'versioned')).then(
  () => process.exit(0),
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
