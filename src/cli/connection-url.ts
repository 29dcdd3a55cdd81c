/**
 * Reads `--url` for the dialect asked for, before any driver is loaded: the usual forms of each are
 * accepted, and anything else is a usage error that says what was expected. Messages name a URL's
 * scheme or host only, never the rest, which may hold a password.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../core/dialect.js';

/** A `--url` that the dialect cannot take; the CLI reports it as a usage error (exit 2). */
export class ConnectionUrlError extends Error {
  override name = 'ConnectionUrlError';
}

// A scheme of two letters or more: `C:\sessions.db` is a Windows path, not a URL.
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

const SQLITE_FORMS =
  'a file path (./sessions.db), file:sessions.db, file:///var/data/sessions.db or sqlite:///var/data/sessions.db';
const POSTGRES_FORMS = 'postgres://user@host:5432/database';
const MYSQL_FORMS = 'mysql://user:password@host:3306/database';
const MSSQL_FORMS =
  'mssql://user:password@host:1433/database, or an ADO connection string (Server=host,1433;Database=…;User Id=…;Password=…)';

function schemeOf(connection: string): string | undefined {
  return SCHEME.exec(connection)?.[1]?.toLowerCase();
}

/**
 * The SQLite file a `--url` names: a path as it is; `file:` and `sqlite:` URLs as the path they hold
 * (`file:sessions.db` relative, `file:///var/data/sessions.db` and `sqlite:///var/data/sessions.db`
 * absolute).
 */
function sqlitePath(connection: string): string {
  const scheme = schemeOf(connection);
  if (scheme === undefined) return connection;
  if (scheme !== 'file' && scheme !== 'sqlite') {
    throw new ConnectionUrlError(`--url for sqlite expects ${SQLITE_FORMS}; got a ${scheme}: URL.`);
  }
  const rest = connection.slice(scheme.length + 1);
  if (/[?#]/.test(rest)) {
    throw new ConnectionUrlError(
      `--url for sqlite takes no query string or fragment (?mode=…, #…); give the file only: ${SQLITE_FORMS}.`,
    );
  }
  if (!rest.startsWith('//')) {
    if (rest === '')
      throw new ConnectionUrlError(`--url for sqlite expects ${SQLITE_FORMS}; got ${scheme}: with no path.`);
    return decodeURIComponent(rest);
  }
  const url = new URL(`file:${rest}`);
  if (url.host !== '' && url.host !== 'localhost') {
    throw new ConnectionUrlError(
      `--url for sqlite expects ${SQLITE_FORMS}; got a URL with a host ("${url.host}"): SQLite opens local files only.`,
    );
  }
  return fileURLToPath(url);
}

/**
 * What the driver of `dialect` is given for `connection`: a SQLite file path, a PostgreSQL URL, a
 * MySQL / MariaDB URL, or a SQL Server URL or ADO connection string.
 *
 * @throws ConnectionUrlError when `connection` is not a form the dialect takes.
 */
export function parseConnectionUrl(dialect: Dialect, connection: string): string {
  if (dialect === 'sqlite') return sqlitePath(connection);
  const scheme = schemeOf(connection);
  if (dialect === 'postgres') {
    if (scheme === 'postgres' || scheme === 'postgresql') return connection;
    throw new ConnectionUrlError(
      `--url for postgres expects a URL that starts with postgres:// or postgresql:// (${POSTGRES_FORMS}); ` +
        (scheme === undefined || !connection.includes('://') ? 'got one without a scheme.' : `got a ${scheme}: URL.`),
    );
  }
  if (dialect === 'mysql') {
    if (scheme === 'mysql') return connection;
    throw new ConnectionUrlError(
      `--url for mysql expects a URL that starts with mysql:// (${MYSQL_FORMS}, for MySQL or MariaDB); ` +
        (scheme === undefined || !connection.includes('://') ? 'got one without a scheme.' : `got a ${scheme}: URL.`),
    );
  }
  if (scheme === 'mssql' || scheme === 'sqlserver') return connection;
  if (!connection.includes('://') && connection.includes('=')) return connection;
  throw new ConnectionUrlError(
    `--url for mssql expects mssql:// or sqlserver:// (${MSSQL_FORMS}); ` +
      (scheme === undefined || !connection.includes('://')
        ? 'got neither a URL nor a connection string.'
        : `got a ${scheme}: URL.`),
  );
}
