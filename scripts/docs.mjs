// `npm run docs`: writes the reference pages of docs/ from the code's own tables (the built
// dist/cli/reference.js). test/docs.test.ts fails when a page differs from what this writes.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const { REFERENCE_PAGES } = require(path.join(root, 'dist', 'cli', 'reference.js'));

for (const [page, render] of Object.entries(REFERENCE_PAGES)) {
  writeFileSync(path.join(root, 'docs', page), render());
  console.log(`docs/${page}`);
}
