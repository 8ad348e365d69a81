/**
 * The example pipelines (examples/ci/) as a team uses them: copied into a new repository that holds
 * only its migrations/ (the sample's) and its release dumps, as docs/ci.md says. The package `npm
 * pack` makes stands in for the published one, a throwaway database for the pipeline's service.
 * The review jobs' commands run as written, in order, and pass; migrations.Dockerfile builds the
 * team's image on the migrator's, and the GitLab deploy job's lines, run in it, gate and apply the
 * team's migrations (not the sample the base image carries).
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createDatabase, tableNames, type TestDatabase } from '../support/database';
import { fixturePath } from '../support/fixtures';
import { BUILD_TIMEOUT_MS, ROOT, buildImage, docker, dockerOk, removeImage, uniqueImageTag } from '../support/docker';

const exec = promisify(execFile);
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const INSTALL_TIMEOUT_MS = 5 * 60_000;

/** A job as the test runs it: its environment (the pipeline's, then the job's) and its shell lines. */
interface Job {
  env: Record<string, string>;
  lines: string[];
}

interface Step {
  code: number | null;
  line: string;
  stdout: string;
  stderr: string;
}

function runLine(line: string, cwd: string, env: Record<string, string>): Promise<Step> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', line], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, line, stdout, stderr }));
  });
}

describe('the CI examples, copied into a new repository', () => {
  let work: string;
  let repo: string;
  let tarball: string;
  let db: TestDatabase;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'migrator-ci-examples-'));
    repo = path.join(work, 'repo');
    // What docs/ci.md says the team's repository holds, and the three files it copies.
    cpSync(path.join(ROOT, 'migrations'), path.join(repo, 'migrations'), { recursive: true });
    mkdirSync(path.join(repo, 'releases'));
    for (const release of ['v1.sql', 'v2.sql'])
      copyFileSync(fixturePath(path.join('releases', release)), path.join(repo, 'releases', release));
    mkdirSync(path.join(repo, '.github', 'workflows'), { recursive: true });
    copyFileSync(path.join(ROOT, 'examples', 'ci', 'github-migrations.yml'), path.join(repo, '.github', 'workflows', 'migrations.yml'));
    copyFileSync(path.join(ROOT, 'examples', 'ci', 'gitlab-ci.yml'), path.join(repo, '.gitlab-ci.yml'));
    copyFileSync(path.join(ROOT, 'examples', 'ci', 'migrations.Dockerfile'), path.join(repo, 'migrations.Dockerfile'));
    // dist/ is built by `npm test` before jest: the pack must not rebuild it under the other tests.
    const packed = JSON.parse(
      (await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT })).stdout,
    );
    tarball = path.join(work, (packed as Array<{ filename: string }>)[0].filename);
  }, INSTALL_TIMEOUT_MS);
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(() => db.drop());

  /**
   * The shell a runner gives the job: its variables, with the two values only a real pipeline has
   * replaced (the service's address by the throwaway database's, the unpublished package by the
   * tarball), and npm's global folder of its own.
   */
  function runnerEnvironment(job: Job, globalPrefix: string): Record<string, string> {
    expect(job.env.DATABASE_URL).toMatch(/^postgres:\/\/postgres:throwaway@(127\.0\.0\.1|postgres):5432\/postgres$/);
    expect(job.env.REVIEW_PACKAGES.split(' ')).toContain(`pg-init-migrator@${version}`);
    return {
      ...(process.env as Record<string, string>),
      ...job.env,
      DATABASE_URL: db.url,
      REVIEW_PACKAGES: job.env.REVIEW_PACKAGES.replace(`pg-init-migrator@${version}`, tarball),
      npm_config_prefix: globalPrefix,
      PATH: [path.join(globalPrefix, 'bin'), path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
    };
  }

  async function runJob(job: Job): Promise<Step[]> {
    const globalPrefix = mkdtempSync(path.join(work, 'npm-global-'));
    const env = runnerEnvironment(job, globalPrefix);
    const steps: Step[] = [];
    for (const line of job.lines) {
      const step = await runLine(line, repo, env);
      steps.push(step);
      if (step.code !== 0) break;
    }
    return steps;
  }

  const codes = (steps: Step[]) => steps.map(({ line, code, stderr }) => ({ line, code, stderr: code === 0 ? '' : stderr }));

  test(
    'GitHub: the review job installs the migrator from npm, then verify, lint, plan --sql and converge pass; the database stays empty',
    async () => {
      const workflow = parse(readFileSync(path.join(repo, '.github', 'workflows', 'migrations.yml'), 'utf8')) as {
        env: Record<string, string>;
        jobs: { review: { env: Record<string, string>; steps: Array<{ run?: string; uses?: string }> } };
      };
      const { review } = workflow.jobs;
      expect(review.steps.flatMap((step) => (step.uses ? [step.uses.split('@')[0]] : []))).toEqual([
        'actions/checkout',
        'actions/setup-node',
      ]);
      const job = { env: { ...workflow.env, ...review.env }, lines: review.steps.flatMap((step) => (step.run ? [step.run] : [])) };

      const steps = await runJob(job);

      expect(codes(steps)).toEqual(job.lines.map((line) => ({ line, code: 0, stderr: '' })));
      const output = (pattern: RegExp) => steps.find((step) => pattern.test(step.line))!.stdout;
      expect(output(/ lint /)).toMatch(/^no problems in \d+ file\(s\)\n$/);
      expect(output(/ plan --sql/)).toContain('CREATE TABLE');
      expect(await tableNames(db)).toEqual([]);
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    'GitLab: the review job installs the migrator from npm, then verify, lint and plan --sql pass',
    async () => {
      const pipeline = parse(readFileSync(path.join(repo, '.gitlab-ci.yml'), 'utf8')) as {
        variables: Record<string, string>;
        review: { variables: Record<string, string>; script: string[] };
      };
      const job = { env: { ...pipeline.variables, ...pipeline.review.variables }, lines: pipeline.review.script };

      const steps = await runJob(job);

      expect(codes(steps)).toEqual(job.lines.map((line) => ({ line, code: 0, stderr: '' })));
      expect(steps.map((step) => step.line)).toEqual(expect.arrayContaining([expect.stringMatching(/^\$RUN_MIGRATOR lint --since/)]));
      expect(await tableNames(db)).toEqual([]);
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    "migrations.Dockerfile builds the team's image on the migrator's; the GitLab deploy job's lines, run in it, gate and apply the team's migrations",
    async () => {
      const base = uniqueImageTag();
      const team = uniqueImageTag('app-migrations');
      // A table of the team's own, which the base image's sample migrations do not declare.
      const teamFile = path.join(repo, 'migrations', 'tables', '900_team_audit.sql');
      writeFileSync(teamFile, 'CREATE TABLE team_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL);\n');
      const pipeline = parse(readFileSync(path.join(repo, '.gitlab-ci.yml'), 'utf8')) as {
        variables: Record<string, string>;
        deploy: { variables: Record<string, string>; script: string[] };
      };
      // The Dockerfile's base is the published image's name; until it is published, docs/ci.md says to pass your build.
      expect(readFileSync(path.join(repo, 'migrations.Dockerfile'), 'utf8')).toContain(
        `ARG MIGRATOR_BASE=ghcr.io/pg-init-migrator/pg-init-migrator:${version}`,
      );
      try {
        await buildImage(base);
        await dockerOk(['build', '-f', path.join(repo, 'migrations.Dockerfile'), '--build-arg', `MIGRATOR_BASE=${base}`, '-t', team, repo]);

        // The throwaway server has no TLS: the job's verify-full settings are a real deployment's.
        const { PGSSLMODE, PGSSLROOTCERT, ...variables } = { ...pipeline.variables, ...pipeline.deploy.variables };
        expect({ PGSSLMODE, PGSSLROOTCERT }).toEqual({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: '$POSTGRES_CA_CERT' });
        const env = { ...variables, PGHOST: '127.0.0.1', PGPORT: '5432', PGUSER: db.user, PGPASSWORD: db.password, PGDATABASE: db.name };
        const results = [];
        for (const line of pipeline.deploy.script) {
          const run = await docker(
            [
              'run',
              '--rm',
              '--read-only',
              '--network',
              `container:${process.env.TEST_PG_CONTAINER}`,
              ...Object.keys(env).flatMap((name) => ['-e', name]),
              '--entrypoint',
              'sh',
              team,
              '-c',
              line,
            ],
            env,
          );
          results.push({ line, code: run.code, stderr: run.code === 0 ? '' : run.stdout + run.stderr });
        }

        expect(results).toEqual(pipeline.deploy.script.map((line) => ({ line, code: 0, stderr: '' })));
        expect(await tableNames(db)).toEqual(expect.arrayContaining(['accounts', 'notes', 'team_audit']));
      } finally {
        rmSync(teamFile);
        await removeImage(team);
        await removeImage(base);
      }
    },
    BUILD_TIMEOUT_MS,
  );
});
