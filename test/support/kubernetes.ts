/**
 * The Kubernetes examples as a cluster would receive them: overlays rendered by `kubectl kustomize`,
 * and the objects checked against the API's schemas, twice over: the OpenAPI validators of
 * kubernetes-models (types, required fields, enums) and, since those accept fields the API does
 * not know (a misspelled `securityContext` would pass, and then be refused by `kubectl apply`'s
 * strict field validation), the same package's TypeScript types, which name every field.
 */
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './docker';
import { runEsmScript } from './esm-script';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export const KUBERNETES_EXAMPLES = path.join(ROOT, 'examples', 'kubernetes');
const run = promisify(execFile);

/** kubectl's version line, or undefined when there is no kubectl on PATH. */
export function kubectlVersion(): string | undefined {
  try {
    return execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch {
    return undefined;
  }
}

export function parseObjects(text: string, where: string): KubernetesObject[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${where}: ${document.errors[0].message}`);
    return document.toJS() as KubernetesObject;
  });
}

/** `kubectl kustomize` of a folder under examples/kubernetes/. */
export async function render(overlay: string): Promise<KubernetesObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', path.join(KUBERNETES_EXAMPLES, overlay)]);
  return parseObjects(stdout, overlay);
}

/** What the OpenAPI validators refuse, one line per object. */
export function schemaProblems(objects: KubernetesObject[]): Promise<string[]> {
  return runEsmScript<string[]>('kubernetes-schema.mjs', objects);
}

/**
 * What TypeScript finds when each object is written as a literal of its kubernetes-models type:
 * fields the API does not have (excess property checks), and wrong types. One program, checked in
 * memory; each object on a line of its own, so that a problem's line names the object.
 */
export function typeProblems(objects: KubernetesObject[]): string[] {
  const file = path.join(ROOT, 'test', 'rendered-objects.ts');
  const source = objects
    .map(
      (object, index) =>
        `export const o${index}: import('kubernetes-models/${object.apiVersion}/${object.kind}').I${object.kind} = ${JSON.stringify(object)};`,
    )
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, ...rest) =>
    name === file ? ts.createSourceFile(name, source, ts.ScriptTarget.ES2023) : getSourceFile(name, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  host.readFile = (name) => (name === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  const sourceFile = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, sourceFile).map((diagnostic) => {
    const line = diagnostic.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line;
    const object = objects[line];
    return `${object.kind}/${object.metadata?.name}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
  });
}
