/** The CLI's SCRAM steps must give node-postgres exactly the bytes its own WebCrypto steps give. */
import { useNodeCryptoForScram } from '../../src/db/scram-crypto';

type Step = (...args: unknown[]) => Promise<ArrayBuffer | Uint8Array>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgSteps = require('pg/lib/crypto/utils') as Record<'deriveKey' | 'hmacSha256' | 'sha256', Step>;

const bytes = (value: ArrayBuffer | Uint8Array) => Buffer.from(new Uint8Array(value)).toString('hex');

test('derive, sign and hash give the same bytes as node-postgres computes', async () => {
  const original = { ...pgSteps };
  const salt = Buffer.from('c2FsdHNhbHRzYWx0c2FsdA==', 'base64');
  const inputs = async (steps: typeof pgSteps) => {
    const salted = await steps.deriveKey('pencil ünïcode', salt, 4096);
    const clientKey = await steps.hmacSha256(salted, 'Client Key');
    return [salted, clientKey, await steps.sha256(clientKey)].map(bytes);
  };
  const expected = await inputs(original);

  useNodeCryptoForScram();

  expect(pgSteps.deriveKey).not.toBe(original.deriveKey);
  expect(await inputs(pgSteps)).toEqual(expected);
});

test("the nonce's random bytes come as node-postgres's do: a Buffer of the asked length, different each time", () => {
  useNodeCryptoForScram();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const random = (require('pg/lib/crypto/utils') as { randomBytes(length: number): Buffer }).randomBytes;

  const first = random(18);
  expect(Buffer.isBuffer(first)).toBe(true);
  expect(first).toHaveLength(18);
  expect(random(18).equals(first)).toBe(false);
});
