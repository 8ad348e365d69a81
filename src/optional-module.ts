/**
 * Packages that only the development commands use (lint: libpg-query and squawk-cli; converge:
 * @pgkit/schemainspect; generate: those two, @pgkit/migra and, for --scratch docker,
 * @testcontainers/postgresql). They are devDependencies here and optional peer dependencies of the
 * published package, so neither a production install (npm ci --omit=dev, the runtime image) nor an
 * `npm install pg-init-migrator` has them: they are loaded only when such a command runs, and their
 * absence is a clear configuration error instead of a crash at start.
 */
import { ConfigError } from './errors';

function missing(name: string, command: string): ConfigError {
  return new ConfigError(
    `migrator ${command} needs the package ${name}, which a production install leaves out: run it from a development checkout (npm ci), or add it with npm install --save-dev ${name}`,
  );
}

function isNotFound(error: unknown, name: string): boolean {
  return (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && (error as Error).message.includes(`'${name}`);
}

export function requireOptional<T>(name: string, command: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (error) {
    throw isNotFound(error, name) ? missing(name, command) : error;
  }
}

/** The path of a file inside an optional package (for one that ships a program rather than a module). */
export function resolveOptional(name: string, file: string, command: string): string {
  try {
    return require.resolve(`${name}/${file}`);
  } catch (error) {
    throw isNotFound(error, name) ? missing(name, command) : error;
  }
}
