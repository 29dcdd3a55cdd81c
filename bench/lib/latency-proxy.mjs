// A loopback TCP proxy that delays every chunk by a fixed time in each direction, so that a database on
// this machine answers as one across a network hop would: each round trip pays the delay twice. It runs
// in a child process of its own (its timers must not queue behind the measured handlers' work), listens
// on 127.0.0.1 only, accepts at most MAX_CONNECTIONS connections and holds at most MAX_QUEUED_BYTES per
// direction of a connection (the sender is paused beyond that).
//
// Node's timers have a resolution of 1 ms, so a delay under 1 ms is served as about 1 ms: the bench
// measures the round trip it really added (`measureAddedRoundTrip`) and reports that next to the setting.
import { fork } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

const MAX_CONNECTIONS = 256;
const MAX_QUEUED_BYTES = 1 << 20;
const MAX_DELAY_MS = 50;

/** Copies `from` to `to`, each chunk `delayMs` after it arrived, in order. */
function pipeDelayed(from, to, delayMs) {
  const queue = [];
  let queuedBytes = 0;
  let timer = null;
  let ended = false;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) {
      const { chunk } = queue.shift();
      queuedBytes -= chunk.length;
      to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(flush, queue[0].due - now);
    else if (ended) to.end();
    if (queuedBytes < MAX_QUEUED_BYTES && from.isPaused()) from.resume();
  };
  from.on('data', (chunk) => {
    queue.push({ chunk, due: performance.now() + delayMs });
    queuedBytes += chunk.length;
    if (queuedBytes >= MAX_QUEUED_BYTES) from.pause();
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0 && timer === null) to.end();
  });
}

function serve({ host, port, delayMs }) {
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = createConnection({ host, port, noDelay: true });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    pipeDelayed(client, upstream, delayMs);
    pipeDelayed(upstream, client, delayMs);
  });
  server.maxConnections = MAX_CONNECTIONS;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

if (process.argv[2] === '--latency-proxy-child') {
  const server = await serve(JSON.parse(process.argv[3]));
  process.on('disconnect', () => server.close(() => process.exit(0)));
  process.send({ port: server.address().port });
}

/**
 * Starts the proxy in a child process in front of `host:port`, delaying each chunk by `delayMs` each way.
 * Returns its port and `close()`.
 */
export async function startLatencyProxy({ host, port, delayMs }) {
  if (!(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) {
    throw new Error(`--pg-latency-ms takes a delay from 0 to ${MAX_DELAY_MS} ms, got ${delayMs}`);
  }
  const child = fork(new URL(import.meta.url), ['--latency-proxy-child', JSON.stringify({ host, port, delayMs })]);
  const { port: proxyPort } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the latency proxy exited with ${code}`)));
  });
  return {
    port: proxyPort,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.disconnect();
      }),
  };
}

/** The median extra time a `SELECT 1` round trip takes through `viaPool` compared with `directPool`. */
export async function measureAddedRoundTrip(directPool, viaPool, samples = 40) {
  const time = async (pool) => {
    const times = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await pool.query('SELECT 1');
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  };
  await time(viaPool);
  return (await time(viaPool)) - (await time(directPool));
}
