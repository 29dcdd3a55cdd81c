/**
 * Keeps passwords out of everything the CLI prints: the secrets of a connection string are collected
 * once and replaced wherever they appear, in messages of ours and of the drivers alike.
 *
 * @module
 */

/** The secret parts of a connection URL or an ADO-style connection string. */
export function connectionSecrets(connection: string | undefined): string[] {
  if (connection === undefined || connection === '') return [];
  const secrets = new Set<string>();
  const userInfo = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@]*)@/i.exec(connection);
  if (userInfo?.[1]) {
    secrets.add(userInfo[1]);
    try {
      secrets.add(decodeURIComponent(userInfo[1]));
    } catch {
      // Not percent-encoded: the raw form is already listed.
    }
  }
  for (const match of connection.matchAll(
    /(?:^|;)\s*(?:password|pwd)\s*=\s*("(?:[^"]|"")*"|'(?:[^']|'')*'|\{(?:[^}]|\}\})*\}|[^;]*)/gi,
  )) {
    const raw = match[1]!.trim();
    secrets.add(raw);
    if (/^["'{]/.test(raw)) secrets.add(raw.slice(1, -1));
  }
  for (const match of connection.matchAll(/[?&](?:password|pwd|sslpassword)=([^&]*)/gi)) {
    secrets.add(match[1]!);
    try {
      secrets.add(decodeURIComponent(match[1]!));
    } catch {
      // As above.
    }
  }
  return [...secrets].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by `***`, and any URL password hidden too. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('***');
  return result.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@');
}

/** A connection as shown to the user: host, port and database of a URL, never its credentials. */
export function describeConnection(connection: string): string {
  try {
    const url = new URL(connection);
    if (url.host !== '') return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    // Not a URL: a SQLite path or an ADO connection string.
  }
  const server = /(?:^|;)\s*(?:server|data source|address|addr)\s*=\s*([^;]*)/i.exec(connection);
  if (server !== null) return `server ${server[1]!.trim()}`;
  return connection.includes('=') ? 'the configured server' : connection;
}
