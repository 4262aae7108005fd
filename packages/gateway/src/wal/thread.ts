// Worker-thread side of the WAL: owns the SQLite connection and answers RPCs
// from wal.ts. Everything here may block (SQLite, fsync): that is the point of
// running it off the HTTP event loop.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { WalStore, type WalSync } from './store.ts';

export type WalRequest =
  | { id: number; op: 'append'; rows: Parameters<WalStore['append']>[0] }
  | { id: number; op: 'readPending'; afterId: number; limit: number; maxBytes: number }
  | { id: number; op: 'markPublished'; ids: number[]; at: number }
  | { id: number; op: 'stats' }
  | { id: number; op: 'cleanup'; retentionMs: number; maxPublished: number; now: number }
  | { id: number; op: 'close' };

export type WalResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

const { path, sync } = workerData as { path: string; sync: WalSync };
const port = parentPort;
if (!port) throw new Error('wal/thread.ts must run as a worker thread');

let store: WalStore | undefined;
try {
  store = new WalStore(path, { sync });
  port.postMessage({ id: 0, ok: true, result: 'open' } satisfies WalResponse);
} catch (err) {
  port.postMessage({ id: 0, ok: false, error: (err as Error).message } satisfies WalResponse);
}

function handle(req: WalRequest): unknown {
  if (!store) throw new Error('WAL is not open');
  switch (req.op) {
    case 'append':
      return store.append(req.rows);
    case 'readPending':
      return store.readPending(req.afterId, req.limit, req.maxBytes);
    case 'markPublished':
      return store.markPublished(req.ids, req.at);
    case 'stats':
      return store.stats();
    case 'cleanup':
      return store.cleanup(req);
    case 'close':
      store.close();
      store = undefined;
      return null;
  }
}

const reply = (res: WalResponse) => port.postMessage(res);

/**
 * Group commit, done where the fsync is: every append already queued on the
 * port when one arrives goes into the same transaction, so while one commit
 * (and its fsync) runs, the next one gathers whatever the HTTP side sent in
 * the meantime — as large as the load makes it, with no timer.
 */
function commitAppends(appends: Extract<WalRequest, { op: 'append' }>[]): void {
  try {
    if (!store) throw new Error('WAL is not open');
    const rows = appends.length === 1 ? appends[0]!.rows : appends.flatMap((a) => a.rows);
    const { rowBytes } = store.append(rows);
    // Each caller learns the payload bytes of its own rows, for the pending gauge.
    let offset = 0;
    for (const a of appends) {
      let bytes = 0;
      for (let i = offset; i < offset + a.rows.length; i++) bytes += rowBytes[i] ?? 0;
      offset += a.rows.length;
      reply({ id: a.id, ok: true, result: bytes });
    }
  } catch (err) {
    for (const a of appends) reply({ id: a.id, ok: false, error: (err as Error).message });
  }
}

port.on('message', (first: WalRequest) => {
  const queued: WalRequest[] = [first];
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    queued.push(m.message as WalRequest);
  }
  // Consecutive appends share a transaction; other requests run in order between them.
  let appends: Extract<WalRequest, { op: 'append' }>[] = [];
  for (const req of queued) {
    if (req.op === 'append') {
      appends.push(req);
      continue;
    }
    if (appends.length > 0) {
      commitAppends(appends);
      appends = [];
    }
    try {
      reply({ id: req.id, ok: true, result: handle(req) });
    } catch (err) {
      reply({ id: req.id, ok: false, error: (err as Error).message });
    }
  }
  if (appends.length > 0) commitAppends(appends);
});
