/**
 * node-postgres computes SCRAM-SHA-256 (PostgreSQL's default password authentication) with
 * WebCrypto: asynchronous calls that run PBKDF2 on the thread pool and convert every argument
 * through WebIDL. node:crypto's synchronous functions give the same bytes without the thread pool's
 * hand-offs (and a nonce from node:crypto spares loading WebIDL), so they take the place of those
 * steps in the module pg calls them through (pg/lib/crypto/utils, a public path of the package).
 * A step pg no longer has is left alone: a change on pg's side can then cost time, not correctness.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

type Bytes = ArrayBuffer | Uint8Array;

interface ScramSteps {
  randomBytes(length: number): Buffer;
  deriveKey(password: string, salt: Uint8Array, iterations: number): Promise<Bytes>;
  hmacSha256(key: Bytes, message: string): Promise<Bytes>;
  sha256(data: Bytes): Promise<Bytes>;
}

const nodeCryptoSteps: ScramSteps = {
  randomBytes: (length) => randomBytes(length),
  deriveKey: async (password, salt, iterations) => pbkdf2Sync(password, salt, iterations, 32, 'sha256'),
  hmacSha256: async (key, message) => createHmac('sha256', new Uint8Array(key)).update(message).digest(),
  sha256: async (data) => createHash('sha256').update(new Uint8Array(data)).digest(),
};

/** Changes node-postgres for the whole process: for a program that owns its process (the CLI). */
export function useNodeCryptoForScram(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pgSteps = require('pg/lib/crypto/utils') as Partial<ScramSteps>;
  for (const step of Object.keys(nodeCryptoSteps) as Array<keyof ScramSteps>) {
    if (typeof pgSteps[step] === 'function') Object.assign(pgSteps, { [step]: nodeCryptoSteps[step] });
  }
}
