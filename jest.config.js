/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Tests talk to real containers: generous, but bounded.
  testTimeout: 120_000,
  // The files share one PostgreSQL server, and some assert figures of the whole server (transaction
  // ids, to show a no-op run writes nothing): one file at a time, on any machine, as on two cores.
  maxWorkers: 1,
};
