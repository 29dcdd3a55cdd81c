/**
 * A TCP proxy on 127.0.0.1 between the workers and PostgreSQL that, when armed, cuts the next
 * connection that sends a statement: either before the statement reaches the server (it never runs)
 * or after the server received it and before its answer reaches the client (it may have committed,
 * and the client cannot know). The second is the ambiguous commit an idempotent write must survive.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/** Where the cut falls: before the statement is forwarded, or after, with the answer dropped. */
export type CutPoint = 'before-statement' | 'after-statement';

export interface CuttingProxy {
  /** The port to connect to on 127.0.0.1. */
  readonly port: number;
  /**
   * Cuts the next connection whose client sends a chunk that `match` accepts (by default: one that
   * carries a statement) at `point` (random when not given).
   */
  armCut(point?: CutPoint, match?: (chunk: Buffer) => boolean): void;
  /** Cuts made so far, by point. */
  readonly cuts: Record<CutPoint, number>;
  close(): Promise<void>;
}

// PostgreSQL frontend messages that carry a statement: Parse ('P') and simple Query ('Q'). The
// startup message has no type byte, so connection set-up is never cut.
const STATEMENT_MESSAGES = new Set([0x50, 0x51]);
const carriesStatement = (chunk: Buffer): boolean => STATEMENT_MESSAGES.has(chunk[0]!);

interface ArmedCut {
  point: CutPoint;
  match: (chunk: Buffer) => boolean;
}

export async function startCuttingProxy(
  target: { host: string; port: number },
  random: () => number = Math.random,
): Promise<CuttingProxy> {
  if (target.host !== '127.0.0.1' && target.host !== 'localhost') {
    throw new Error(`the cutting proxy only forwards to this machine, not to ${target.host}`);
  }
  const armed: ArmedCut[] = [];
  const cuts: Record<CutPoint, number> = { 'before-statement': 0, 'after-statement': 0 };
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target.port });
    sockets.add(client).add(upstream);
    let cutOnAnswer = false;
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      const point = armed[0]?.match(chunk) === true ? armed.shift()!.point : undefined;
      if (point === 'before-statement') {
        cuts[point]++;
        cut();
        return;
      }
      if (point === 'after-statement') {
        cuts[point]++;
        cutOnAnswer = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (cutOnAnswer) {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    armCut(point, match = carriesStatement) {
      armed.push({ point: point ?? (random() < 0.5 ? 'before-statement' : 'after-statement'), match });
    },
    cuts,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
