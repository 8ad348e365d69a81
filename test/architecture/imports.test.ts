/**
 * The import rules of src/ (.dependency-cruiser.cjs, run by `npm run check:imports` in `npm test`):
 * they hold for the code as it is, and the check fails when a cycle is added.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

function checkImports(cwd: string) {
  const run = spawnSync(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs'], { cwd, encoding: 'utf8' });
  return { code: run.status, output: run.stdout + run.stderr };
}

describe('the import rules', () => {
  test('hold for src/', () => {
    const { code, output } = checkImports(ROOT);
    expect(output).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  });

  test('fail on a cycle, naming the modules in it', () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'migrator-imports-'));
    try {
      for (const entry of ['src', '.dependency-cruiser.cjs', 'tsconfig.json'])
        cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
      // The lock, far down the layers, reaching up to the command that takes it.
      appendFileSync(
        path.join(copy, 'src', 'db', 'lock.ts'),
        "\nimport type { UpOptions } from '../commands/up';\nexport type Held = UpOptions;\n",
      );

      const { code, output } = checkImports(copy);

      expect(code).not.toBe(0);
      expect(output).toMatch(/error no-circular: .*src\/db\/lock\.ts →/s);
      expect(output).toContain('src/commands/up.ts');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
