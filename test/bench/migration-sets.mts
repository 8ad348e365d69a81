/**
 * The migration folders the benchmark runs, written under one temporary folder in the layout the
 * migrator reads (legacy/, tables/, versioned/), in the style README.md asks for: guarded legacy
 * scripts, one table per file, idempotent single-statement versioned migrations.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NoopShape {
  legacy: number;
  tables: number;
  versioned: number;
}

/** A folder of migrations, and the same versioned files as one psql script (each between BEGIN and COMMIT). */
export interface MigrationSet {
  dir: string;
  versioned: number;
  script: string;
  remove(): void;
}

export interface Sets {
  /** The temporary folder holding every set; the children's working folder. */
  root: string;
  /** Applied once before timing; every timed run then finds nothing to do. */
  noop(shape: NoopShape): MigrationSet;
  /** `count` versioned migrations only, applied onto an empty database by every timed run. */
  apply(count: number): MigrationSet;
  /** One placeholder migration and then one of `bytes` of INSERTs, applied onto an empty database. */
  large(bytes: number): MigrationSet;
  remove(): void;
}

function write(dir: string, relative: string, content: string): void {
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

const pad = (n: number) => String(n).padStart(3, '0');

/** A small migration touching table `table`, of one of four kinds. */
function smallMigration(id: number, table: string): string {
  switch (id % 4) {
    case 0:
      return `CREATE INDEX IF NOT EXISTS ${table}_m${id}_idx ON ${table} (name, id);\n`;
    case 1:
      return `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS c${id} integer NOT NULL DEFAULT ${id};\n`;
    case 2:
      return `COMMENT ON TABLE ${table} IS 'changed by migration ${id}';\n`;
    default:
      return `INSERT INTO ${table} (id, name) VALUES (${id}, 'row ${id}') ON CONFLICT (id) DO NOTHING;\n`;
  }
}

/**
 * Declared tables, legacy scripts and versioned migrations. Past 400 versioned migrations the
 * indexes would pile up on 20 tables, so every migration after the first 400 only comments.
 */
function writeNoopSet(dir: string, shape: NoopShape): void {
  for (let t = 1; t <= shape.tables; t++) {
    write(dir, `tables/${pad(t * 10)}_t${t}.sql`, `CREATE TABLE t${t} (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n);\n`);
  }
  for (let l = 1; l <= shape.legacy; l++) {
    write(
      dir,
      `legacy/${pad(l)}_t${l}_lowercase_names.sql`,
      `DO $$\nBEGIN\n  IF to_regclass('t${l}') IS NOT NULL THEN\n    UPDATE t${l} SET name = lower(name) WHERE name <> lower(name);\n  END IF;\nEND $$;\n`,
    );
  }
  for (let id = 1; id <= shape.versioned; id++) {
    const table = `t${(id % shape.tables) + 1}`;
    const sql = id <= 400 ? smallMigration(id, table) : `COMMENT ON TABLE ${table} IS 'changed by migration ${id}';\n`;
    write(dir, `versioned/${id}_m${id}_${table}.sql`, sql);
  }
}

/** Apply-set migration id: every 10th creates a table that the next nine change. */
function applyMigration(id: number): string {
  const table = `a${Math.ceil(id / 10)}`;
  if (id % 10 === 1) return `CREATE TABLE IF NOT EXISTS ${table} (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n);\n`;
  return smallMigration(id, table);
}

/** INSERTs of 1000 rows each (about 90 kB per line) into `big`, at least `bytes` of them, written in pieces. */
function writeLargeMigration(file: string, bytes: number): void {
  const rows = Array.from({ length: 1000 }, (_, i) => `(${i}, '${'x'.repeat(80)}')`).join(',');
  const statement = `INSERT INTO big (n, payload) VALUES ${rows};\n`;
  const fd = openSync(file, 'w');
  try {
    for (let written = 0; written < bytes; written += statement.length) writeSync(fd, statement);
  } finally {
    closeSync(fd);
  }
}

export function writeSets(): Sets {
  const root = mkdtempSync(path.join(os.tmpdir(), 'migrator-bench-'));
  const folder = (name: string) => {
    const dir = path.join(root, name);
    return { dir, script: `${dir}.psql`, remove: () => rmSync(dir, { recursive: true, force: true }) };
  };
  return {
    root,
    noop(shape) {
      const set = folder(`noop-${shape.versioned}`);
      writeNoopSet(set.dir, shape);
      return { ...set, versioned: shape.versioned };
    },
    apply(count) {
      const set = folder(`apply-${count}`);
      const script: string[] = [];
      for (let id = 1; id <= count; id++) {
        const sql = applyMigration(id);
        write(set.dir, `versioned/${id}_step_${id}.sql`, sql);
        script.push(`BEGIN;\n${sql}COMMIT;\n`);
      }
      writeFileSync(set.script, script.join(''));
      return { ...set, versioned: count };
    },
    large(bytes) {
      const set = folder('large');
      const table = 'CREATE TABLE big (n int NOT NULL, payload text NOT NULL);\n';
      write(set.dir, 'versioned/1_create_big.sql', table);
      write(set.dir, 'versioned/2_fill_big.sql', '');
      writeLargeMigration(path.join(set.dir, 'versioned/2_fill_big.sql'), bytes);
      writeFileSync(set.script, `BEGIN;\n${table}COMMIT;\nBEGIN;\n\\i ${path.join(set.dir, 'versioned/2_fill_big.sql')}\nCOMMIT;\n`);
      return { ...set, versioned: 2 };
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
