/**
 * The connection: DATABASE_URL (or DATABASE_URL_FILE) and the libpq variables in, ConnectionSettings
 * out, read as libpq reads them: what the URL gives wins, the PG* variables fill in the rest. A
 * libpq setting the migrator does not implement is refused with its name, never ignored.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Tls from 'node:tls';
import { parse } from 'pg-connection-string';
import { closestName, didYouMean } from './did-you-mean';
import { exclusive, readSettingFile, value, type Env } from './env-value';
import { ConfigError } from '../errors';
import { passwordFromFile } from './pgpass';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslMode: SslMode;
  /** TLS options for node's tls.connect, or false for a plain connection. */
  ssl: false | Tls.ConnectionOptions;
  applicationName: string;
  /** libpq's options: server settings for the session, e.g. "-c search_path=app". */
  options?: string;
  /** libpq's connect_timeout in milliseconds: how long one connection attempt may take. */
  connectTimeoutMs?: number;
  /** The certificate files TLS uses (absolute paths; the root may be "system"), for the PostgreSQL tools we start. */
  sslFiles?: { rootCert?: string; cert?: string; key?: string };
}

export const CONNECTION_DEFAULTS = {
  host: 'localhost',
  port: 5432,
  user: 'postgres',
  applicationName: 'pg-init-migrator',
} as const;

export const DATABASE_URL_EXAMPLE = 'postgres://user:password@host:5432/database';

/** The libpq connection parameters the migrator implements, each with the variable libpq reads it from. */
export const LIBPQ_VARIABLES = {
  host: 'PGHOST',
  port: 'PGPORT',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  dbname: 'PGDATABASE',
  passfile: 'PGPASSFILE',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  application_name: 'PGAPPNAME',
  options: 'PGOPTIONS',
  connect_timeout: 'PGCONNECT_TIMEOUT',
} as const;
type Parameter = keyof typeof LIBPQ_VARIABLES;
const PARAMETERS = Object.keys(LIBPQ_VARIABLES) as Parameter[];

/** libpq parameters and variables the migrator does not implement, and what to do instead. */
const NOT_IMPLEMENTED: ReadonlyArray<[parameters: string[], variables: string[], advice: string]> = [
  [
    ['service'],
    ['PGSERVICE', 'PGSERVICEFILE'],
    'connection service files (pg_service.conf) are not read: give the connection in DATABASE_URL or the PG* variables',
  ],
  [['hostaddr'], ['PGHOSTADDR'], 'give the address as the host'],
  [
    ['target_session_attrs', 'load_balance_hosts'],
    ['PGTARGETSESSIONATTRS', 'PGLOADBALANCEHOSTS'],
    'the migrator connects to one host: give the primary',
  ],
  [[], ['PGDATESTYLE', 'PGTZ', 'PGGEQO'], 'set server settings with PGOPTIONS instead, e.g. -c timezone=UTC'],
  [['client_encoding'], ['PGCLIENTENCODING'], 'node-postgres always speaks UTF8'],
  [
    [
      'sslcrl',
      'sslcrldir',
      'sslcertmode',
      'sslcompression',
      'sslsni',
      'sslnegotiation',
      'sslpassword',
      'sslkeylogfile',
      'ssl_min_protocol_version',
      'ssl_max_protocol_version',
      'requiressl',
    ],
    [
      'PGSSLCRL',
      'PGSSLCRLDIR',
      'PGSSLCERTMODE',
      'PGSSLCOMPRESSION',
      'PGSSLSNI',
      'PGSSLNEGOTIATION',
      'PGSSLKEYLOGFILE',
      'PGSSLMINPROTOCOLVERSION',
      'PGSSLMAXPROTOCOLVERSION',
      'PGREQUIRESSL',
    ],
    'of the TLS settings, sslmode, sslrootcert, sslcert and sslkey are implemented',
  ],
  [
    ['gssencmode', 'krbsrvname', 'gsslib', 'gssdelegation', 'require_auth', 'channel_binding', 'requirepeer'],
    ['PGGSSENCMODE', 'PGKRBSRVNAME', 'PGGSSLIB', 'PGGSSDELEGATION', 'PGREQUIREAUTH', 'PGCHANNELBINDING', 'PGREQUIREPEER'],
    'the migrator logs in with a password or a client certificate',
  ],
  [
    [
      'fallback_application_name',
      'keepalives',
      'keepalives_idle',
      'keepalives_interval',
      'keepalives_count',
      'tcp_user_timeout',
      'replication',
      'min_protocol_version',
      'max_protocol_version',
    ],
    ['PGMINPROTOCOLVERSION', 'PGMAXPROTOCOLVERSION'],
    'leave it out',
  ],
];

/**
 * libpq variables that change nothing about how the migrator connects (where libpq finds service
 * files and its message translations), and ours: accepted as they are.
 */
const HARMLESS_VARIABLES = ['PGSYSCONFDIR', 'PGLOCALEDIR', 'PGPASSWORD_FILE'];

/** Every PG* name the migrator knows: a name a typo away from one of these is taken for a misspelling. */
const KNOWN_VARIABLES: readonly string[] = [
  ...Object.values(LIBPQ_VARIABLES),
  ...NOT_IMPLEMENTED.flatMap(([, variables]) => variables),
  ...HARMLESS_VARIABLES,
];

/** PostgreSQL and node timers count milliseconds in a 32-bit signed integer. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

type Settings = Partial<Record<Parameter, string>>;

export function connectionFromEnv(env: Env, cwd: string): ConnectionSettings {
  refuseNotImplemented(env);
  refuseLookalikes(env);
  const databaseUrl = exclusive(env, 'DATABASE_URL', 'DATABASE_URL_FILE', cwd);
  const url: Settings = databaseUrl === undefined ? {} : settingsFromUrl(databaseUrl);
  const setting = (parameter: Parameter) => url[parameter] ?? value(env, LIBPQ_VARIABLES[parameter]);
  // An error names where the bad value came from: the URL's parameter, or the variable.
  const variableOf = (parameter: Parameter) => (url[parameter] === undefined ? LIBPQ_VARIABLES[parameter] : 'DATABASE_URL');
  const invalid = (parameter: Parameter, problem: string) =>
    new ConfigError(
      `${url[parameter] === undefined ? LIBPQ_VARIABLES[parameter] : `DATABASE_URL: ${parameter}`} ${problem}`,
      variableOf(parameter),
    );

  const host = setting('host') ?? CONNECTION_DEFAULTS.host;
  const portText = setting('port');
  if (host.includes(',') || portText?.includes(','))
    throw invalid(host.includes(',') ? 'host' : 'port', 'lists several hosts: the migrator connects to one');
  const port = portText === undefined ? CONNECTION_DEFAULTS.port : Number(portText);
  if (!/^\d+$/.test(portText ?? '1') || port < 1 || port > 65535)
    throw invalid('port', `must be a port number from 1 to 65535 (got "${portText}")`);
  const user = setting('user') ?? CONNECTION_DEFAULTS.user;
  const database = setting('dbname') ?? user;
  const home = value(env, 'HOME') ?? os.homedir();
  const passfile = setting('passfile');
  const fromEnv = exclusive(env, 'PGPASSWORD', 'PGPASSWORD_FILE', cwd);
  const password =
    url.password ??
    fromEnv ??
    passwordFromFile(
      {
        file: path.resolve(cwd, passfile ?? path.join(home, '.pgpass')),
        explicit: passfile !== undefined,
        setting: variableOf('passfile'),
      },
      { host, port, database, user },
    );
  return {
    host,
    port,
    user,
    password,
    database,
    ...tlsSettings(setting, variableOf, invalid, cwd, home),
    applicationName: setting('application_name') ?? CONNECTION_DEFAULTS.applicationName,
    options: setting('options'),
    connectTimeoutMs: connectTimeout(setting('connect_timeout'), invalid),
  };
}

/**
 * Whether the environment says nothing of the connection (no DATABASE_URL, DATABASE_URL_FILE or
 * libpq variable): the migrator then tries libpq's defaults, postgres@localhost:5432, which is
 * seldom what a person at a terminal meant.
 */
export function connectionUnset(env: Env): boolean {
  return ['DATABASE_URL', 'DATABASE_URL_FILE', 'PGPASSWORD_FILE', ...Object.values(LIBPQ_VARIABLES)].every(
    (name) => value(env, name) === undefined,
  );
}

/** The passwords that can be read from the environment even when the rest of the connection is wrong. */
export function passwordsIn(env: Env, cwd: string): Array<string | undefined> {
  const attempt = (read: () => string | undefined) => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  return [
    attempt(() => {
      const url = exclusive(env, 'DATABASE_URL', 'DATABASE_URL_FILE', cwd);
      return url === undefined ? undefined : urlParts(withEncodedCredentials(url)).password;
    }),
    attempt(() => exclusive(env, 'PGPASSWORD', 'PGPASSWORD_FILE', cwd)),
    attempt(() => connectionFromEnv(env, cwd).password),
  ];
}

function refuseNotImplemented(env: Env): void {
  for (const [, variables, advice] of NOT_IMPLEMENTED) {
    const set = variables.find((variable) => value(env, variable) !== undefined);
    if (set !== undefined) throw new ConfigError(`${set} is not supported: ${advice}`, set);
  }
}

/**
 * PGSSLMOD=require would otherwise be ignored, and the connection would be plain text. Other tools
 * set PG* variables of their own (the postgres image's PGDATA, PG_MAJOR, PG_VERSION; pg_upgrade's
 * PGPORTOLD), so only names a typo away from a known one (closestName's distance), and any
 * unknown PGSSL* name, are refused.
 */
function refuseLookalikes(env: Env): void {
  const lookalike = Object.keys(env)
    .filter((name) => name.startsWith('PG') && !KNOWN_VARIABLES.includes(name) && value(env, name) !== undefined)
    .sort()
    .find((name) => name.startsWith('PGSSL') || closestName(name, KNOWN_VARIABLES) !== undefined);
  if (lookalike !== undefined) {
    throw new ConfigError(
      `${lookalike} is not a libpq variable the migrator reads${didYouMean(lookalike, KNOWN_VARIABLES)}: a misspelled setting is refused rather than ignored`,
      lookalike,
    );
  }
}

function settingsFromUrl(given: string): Settings {
  const raw = withEncodedCredentials(given);
  const parts = urlParts(raw);
  const settings: Settings = {};
  for (const [name, text] of queryParameters(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '')) {
    if (!(PARAMETERS as string[]).includes(name)) {
      const advice = NOT_IMPLEMENTED.find(([parameters]) => parameters.includes(name))?.[2];
      throw new ConfigError(
        `DATABASE_URL: parameter ${name} is ${advice === undefined ? `not a libpq connection parameter${didYouMean(name, PARAMETERS)}` : `not supported: ${advice}`}`,
        'DATABASE_URL',
      );
    }
    if (text !== '') settings[name as Parameter] = text;
  }
  // Parameters in the query win over the URL's parts, as in libpq (postgres://app@/shop?host=/socket).
  return { ...parts, ...settings };
}

/** Never echoes the value: it normally holds a password. */
const invalidUrl = () => new ConfigError(`DATABASE_URL must be a URL like ${DATABASE_URL_EXAMPLE}`, 'DATABASE_URL');

/** Never echoes any part of the URL: a password that is not percent-encoded spills into the rest. */
const unencodedUrl = () =>
  new ConfigError(
    'DATABASE_URL has an @ after its user:password@ part, so where its password ends is not certain: percent-encode ' +
      'the password (/ as %2F, @ as %40, % as %25; ? as %3F and # as %23 are advised too), and @ in parameter values as %40',
    'DATABASE_URL',
  );

const SCHEME = /^postgres(ql)?:\/\//i;

/**
 * The URL with its user:password@ part read as libpq reads it and percent-encoded again for the
 * parser: the credentials run up to the first @ before any /, so a password holding ? or # is
 * still the password (a URL parser would take the rest for a query or a fragment, and print it
 * in errors). Any later @ means a password with / or @ in it, which no reading can find for sure:
 * refused, echoing nothing.
 */
function withEncodedCredentials(raw: string): string {
  const scheme = SCHEME.exec(raw)?.[0];
  if (scheme === undefined) throw invalidUrl();
  const rest = raw.slice(scheme.length);
  const end = rest.search(/[@/]/);
  const credentials = end !== -1 && rest[end] === '@' ? rest.slice(0, end) : undefined;
  const after = credentials === undefined ? rest : rest.slice(end + 1);
  if (after.includes('@')) throw unencodedUrl();
  if (credentials === undefined) return raw;
  const colon = credentials.indexOf(':');
  const encoded = (part: string) => {
    try {
      return encodeURIComponent(decodeURIComponent(part));
    } catch {
      throw invalidUrl();
    }
  };
  const user = encoded(colon === -1 ? credentials : credentials.slice(0, colon));
  return `${scheme}${user}${colon === -1 ? '' : `:${encoded(credentials.slice(colon + 1))}`}@${after}`;
}

/** What the URL gives before its query: host, port, user, password, database. */
function urlParts(raw: string): Settings {
  if (!SCHEME.test(raw)) throw invalidUrl();
  let parts: ReturnType<typeof parse>;
  try {
    // Only the part before the query goes to the parser: it would read certificate files itself,
    // and decodes a "+" in a parameter as a space, where libpq keeps it.
    parts = parse(raw.split('?')[0]);
  } catch {
    throw invalidUrl();
  }
  const found: Settings = {
    host: parts.host ?? '',
    port: parts.port ?? '',
    user: parts.user ?? '',
    password: parts.password ?? '',
    dbname: parts.database ?? '',
  };
  return Object.fromEntries(Object.entries(found).filter(([, part]) => part !== ''));
}

/** name=value pairs joined by &, percent-decoded as libpq decodes them. */
function queryParameters(query: string): Array<[string, string]> {
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      try {
        if (equals === -1) return [decodeURIComponent(pair), ''];
        return [decodeURIComponent(pair.slice(0, equals)), decodeURIComponent(pair.slice(equals + 1))];
      } catch {
        throw invalidUrl();
      }
    });
}

type Invalid = (parameter: Parameter, problem: string) => ConfigError;

/** libpq's connect_timeout: whole seconds, 0 for none; 1 counts as 2, as libpq rounds it up. */
function connectTimeout(text: string | undefined, invalid: Invalid): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) * 1000 > MAX_TIMEOUT_MS) {
    throw invalid('connect_timeout', `must be a whole number of seconds from 0 to ${Math.floor(MAX_TIMEOUT_MS / 1000)} (got "${text}")`);
  }
  const seconds = Number(text);
  return seconds === 0 ? undefined : Math.max(seconds, 2) * 1000;
}

/**
 * libpq's sslmode on node's TLS options. node-postgres cannot fall back from TLS to plain text, so
 * allow and prefer connect without TLS, like disable. As in libpq, require checks the chain when a
 * root certificate is there (given, or ~/.postgresql/root.crt), verify-ca and verify-full need one,
 * and sslrootcert=system (the system's trusted roots) means verify-full.
 */
function tlsSettings(
  setting: (parameter: Parameter) => string | undefined,
  variableOf: (parameter: Parameter) => string,
  invalid: Invalid,
  cwd: string,
  home: string,
): Pick<ConnectionSettings, 'sslMode' | 'ssl' | 'sslFiles'> {
  const systemRoots = setting('sslrootcert') === 'system';
  const modeText = setting('sslmode');
  const sslMode = modeText === undefined ? (systemRoots ? 'verify-full' : 'disable') : (modeText.toLowerCase() as SslMode);
  if (!SSL_MODES.includes(sslMode)) throw invalid('sslmode', `must be one of ${SSL_MODES.join(', ')} (got "${modeText}")`);
  if (systemRoots && sslMode !== 'verify-full') throw invalid('sslmode', `must be verify-full with sslrootcert=system (got "${modeText}")`);
  if (sslMode === 'disable' || sslMode === 'allow' || sslMode === 'prefer') return { sslMode, ssl: false };

  const file = (parameter: 'sslrootcert' | 'sslcert' | 'sslkey', defaultName: string) => {
    const given = setting(parameter);
    if (given !== undefined) return path.resolve(cwd, given);
    const found = path.join(home, '.postgresql', defaultName);
    return existsSync(found) ? found : undefined;
  };
  const rootCert = systemRoots ? 'system' : file('sslrootcert', 'root.crt');
  const cert = file('sslcert', 'postgresql.crt');
  const key = cert === undefined ? undefined : file('sslkey', 'postgresql.key');
  if (rootCert === undefined && sslMode !== 'require') {
    throw invalid(
      'sslmode',
      `${sslMode} needs a root certificate to check the server's against: set PGSSLROOTCERT (sslrootcert) to a CA file, or to system for the system's trusted roots`,
    );
  }
  if (cert !== undefined && key === undefined)
    throw new ConfigError(`the client certificate ${cert} has no key: set PGSSLKEY (sslkey)`, 'PGSSLKEY');
  if (cert === undefined && setting('sslkey') !== undefined)
    throw new ConfigError('a client key without a certificate: set PGSSLCERT (sslcert) too', 'PGSSLCERT');

  const read = (found: string | undefined, parameter: Parameter) =>
    found === undefined ? undefined : readSettingFile(found, variableOf(parameter), cwd);
  const options: Tls.ConnectionOptions = {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ca: rootCert === 'system' ? (require('node:tls') as typeof Tls).getCACertificates('system') : read(rootCert, 'sslrootcert'),
    cert: read(cert, 'sslcert'),
    key: read(key, 'sslkey'),
  };
  const chainOnly = { rejectUnauthorized: true, checkServerIdentity: () => undefined };
  const modeOptions =
    sslMode === 'verify-full'
      ? { rejectUnauthorized: true }
      : sslMode === 'verify-ca' || rootCert !== undefined
        ? chainOnly
        : { rejectUnauthorized: false };
  return { sslMode, ssl: { ...options, ...modeOptions }, sslFiles: { rootCert, cert, key } };
}

/** host:port/database as user, for log lines: never includes the password. */
export function describeConnection(connection: ConnectionSettings): string {
  return `${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
}
