/**
 * A TCP proxy on 127.0.0.1 between a database client and its server, which can be armed to drop one
 * connection right after the server has answered a given statement and before the client gets that
 * answer: a commit that happened on the server but whose reply the client never sees.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface DroppingProxy {
  readonly port: number;
  /**
   * Arms the proxy: the next connection whose client sends bytes containing `pattern` (e.g.
   * `'COMMIT\u0000'`, the NUL-terminated text of a simple query) is cut as soon as the server's answer
   * arrives, and that answer is thrown away.
   */
  dropAfterReplyTo(pattern: string): void;
  /** How many connections the proxy has cut. */
  readonly drops: number;
  close(): Promise<void>;
}

export async function startDroppingProxy(upstreamHost: string, upstreamPort: number): Promise<DroppingProxy> {
  let armedWith: Buffer | undefined;
  let drops = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    let awaitingReply = false;
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armedWith !== undefined && chunk.includes(armedWith)) {
        armedWith = undefined;
        awaitingReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (awaitingReply) {
        drops++;
        cut();
        return;
      }
      client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', cut);
      socket.on('close', () => {
        sockets.delete(socket);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    dropAfterReplyTo(pattern) {
      armedWith = Buffer.from(pattern, 'utf8');
    },
    get drops() {
      return drops;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
