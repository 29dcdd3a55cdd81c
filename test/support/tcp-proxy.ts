/**
 * A TCP proxy on 127.0.0.1 between a database client and its server, which can be armed to drop one
 * connection right after the server has answered a given statement and before the client gets that
 * answer: a commit that happened on the server but whose reply the client never sees. A thin view of
 * the stress run's cutting proxy.
 */
import { startCuttingProxy } from '../stress/cutting-proxy.js';

export interface DroppingProxy {
  readonly port: number;
  /**
   * Arms the proxy: the next connection whose client sends bytes containing `pattern` (e.g.
   * `'COMMIT\u0000'`, the NUL-terminated text of a simple query) is cut as soon as the server's answer
   * arrives, and that answer is thrown away.
   */
  dropAfterReplyTo(pattern: string): void;
  /**
   * Arms the proxy: the next connection whose client sends bytes containing `pattern` is cut before
   * they reach the server, which never sees that statement.
   */
  dropBefore(pattern: string): void;
  /** How many connections the proxy has cut after the server's answer. */
  readonly drops: number;
  /** How many connections the proxy has cut before the statement reached the server. */
  readonly dropsBefore: number;
  close(): Promise<void>;
}

export async function startDroppingProxy(upstreamHost: string, upstreamPort: number): Promise<DroppingProxy> {
  const proxy = await startCuttingProxy({ host: upstreamHost, port: upstreamPort });
  return {
    port: proxy.port,
    dropAfterReplyTo(pattern) {
      const bytes = Buffer.from(pattern, 'utf8');
      proxy.armCut('after-statement', (chunk) => chunk.includes(bytes));
    },
    dropBefore(pattern) {
      const bytes = Buffer.from(pattern, 'utf8');
      proxy.armCut('before-statement', (chunk) => chunk.includes(bytes));
    },
    get drops() {
      return proxy.cuts['after-statement'];
    },
    get dropsBefore() {
      return proxy.cuts['before-statement'];
    },
    close: () => proxy.close(),
  };
}
