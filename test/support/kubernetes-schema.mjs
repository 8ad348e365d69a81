/**
 * Validates Kubernetes objects against the OpenAPI schemas of the Kubernetes API, compiled into
 * validators by the kubernetes-models package: reads a JSON array of objects on stdin, prints a
 * JSON array of problems ("Kind/name: ...") on stdout. Run by test/support/esm-script.ts:
 * kubernetes-models is ESM only.
 */
import { readFileSync } from 'node:fs';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const problems = [];
for (const object of objects) {
  const where = `${object.kind}/${object.metadata?.name}`;
  let Model;
  try {
    // kubernetes-models/<apiVersion>/<Kind>: kubernetes-models/batch/v1/Job, kubernetes-models/v1/Secret.
    Model = (await import(`kubernetes-models/${object.apiVersion}/${object.kind}`))[object.kind];
  } catch {
    problems.push(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${where}: ${error.message}`);
  }
}
process.stdout.write(JSON.stringify(problems));
