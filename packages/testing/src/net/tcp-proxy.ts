// A TCP proxy on 127.0.0.1 that a test can cut and restore: "the network to
// Pub/Sub is down" without stopping the emulator other tests share. While
// down it keeps its port (so the client's address stays valid) and resets
// every connection, the ones open and the ones that arrive.
import net from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:port`, for PUBSUB_EMULATOR_HOST and the like. */
  readonly host: string;
  readonly isUp: boolean;
  /** Connections accepted and forwarded so far. */
  readonly forwarded: number;
  /** Resets the open connections and every new one until up(). */
  down(): void;
  /** Forwards new connections again. */
  up(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`host:port`), up unless `{ up: false }`. */
export async function startTcpProxy(target: string, options: { up?: boolean } = {}): Promise<TcpProxy> {
  const sep = target.lastIndexOf(':');
  const targetHost = target.slice(0, sep);
  const targetPort = Number(target.slice(sep + 1));
  let isUp = options.up ?? true;
  let forwarded = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!isUp) {
      client.resetAndDestroy();
      return;
    }
    forwarded++;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get isUp() {
      return isUp;
    },
    get forwarded() {
      return forwarded;
    },
    down() {
      isUp = false;
      for (const s of open) {
        // A socket still connecting has no handle to reset: destroy it.
        if (s.connecting) s.destroy();
        else s.resetAndDestroy();
      }
    },
    up() {
      isUp = true;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
