/**
 * The migration folders the benchmark runs, written to a temporary folder in the layout the
 * migrator reads (legacy/, tables/, versioned/), in the style README.md asks for: guarded legacy
 * scripts, one table per file, idempotent single-statement versioned migrations.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MigrationSet {
  dir: string;
  versioned: number;
}

export interface NoopShape {
  legacy: number;
  tables: number;
  versioned: number;
}

export interface Sets {
  /** The temporary folder holding everything below. */
  root: string;
  /** Applied once before timing; every timed run then finds nothing to do. */
  noop: MigrationSet & NoopShape;
  /** Versioned migrations only, applied onto an empty database by every timed run. */
  apply: MigrationSet;
  /** The apply set as one psql script: each file between BEGIN and COMMIT. */
  applyScript: string;
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
    write(dir, `versioned/${id}_m${id}_t${(id % shape.tables) + 1}.sql`, smallMigration(id, `t${(id % shape.tables) + 1}`));
  }
}

/** Apply-set migration id: every 10th creates a table that the next nine change. */
function applyMigration(id: number): string {
  const table = `a${Math.ceil(id / 10)}`;
  if (id % 10 === 1) return `CREATE TABLE IF NOT EXISTS ${table} (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n);\n`;
  return smallMigration(id, table);
}

export function writeSets(noopShape: NoopShape, applyCount: number): Sets {
  const root = mkdtempSync(path.join(os.tmpdir(), 'migrator-bench-'));
  const noopDir = path.join(root, 'noop');
  const applyDir = path.join(root, 'apply');
  writeNoopSet(noopDir, noopShape);
  const script: string[] = [];
  for (let id = 1; id <= applyCount; id++) {
    const sql = applyMigration(id);
    write(applyDir, `versioned/${id}_step_${id}.sql`, sql);
    script.push(`BEGIN;\n${sql}COMMIT;\n`);
  }
  const applyScript = path.join(root, 'apply.psql');
  writeFileSync(applyScript, script.join(''));
  return {
    root,
    noop: { dir: noopDir, ...noopShape },
    apply: { dir: applyDir, versioned: applyCount },
    applyScript,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
