// Reference point for README's "Performance" note, not code the migrator uses: applying the same
// versioned files when each one, its history row and COMMIT reach PostgreSQL as one simple query
// (postgres-migrations sends four queries per file). Same history table and hashes as the library.
'use strict';
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');

const quote = (text) => `'${text.replace(/'/g, "''")}'`;
const dir = path.join(process.env.MIGRATIONS_DIR, 'versioned');
const libraryMigration = path.join(path.dirname(require.resolve('postgres-migrations')), 'migrations', '0_create-migrations-table.sql');
const files = [libraryMigration, ...readdirSync(dir).map((name) => path.join(dir, name))]
  .map((file) => {
    const fileName = path.basename(file);
    const [, id, name] = /^(\d+)[-_]?(.*)\.sql$/.exec(fileName);
    const sql = readFileSync(file, 'utf8');
    return {
      id: Number(id),
      name,
      sql,
      hash: createHash('sha1')
        .update(fileName + sql)
        .digest('hex'),
    };
  })
  .sort((a, b) => a.id - b.id);

async function run() {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  for (const file of files) {
    await client.query(
      `BEGIN;${file.sql}\n;INSERT INTO migrations (id, name, hash) VALUES (${file.id}, ${quote(file.name)}, ${quote(file.hash)});COMMIT`,
    );
  }
  await client.end();
}

run().then(
  () => process.exit(0),
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
