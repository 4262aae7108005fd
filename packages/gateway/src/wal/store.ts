// The write-ahead log's storage: one SQLite file (node:sqlite), used
// synchronously. The gateway runs it inside a worker thread (see thread.ts) so
// SQLite work and fsync never block the HTTP event loop; the `wal` CLI commands
// use it directly.
//
// A row is an accepted event. It is *pending* until the queue durably accepted
// the envelope carrying it, then *published* (published_at set). Cleanup only
// ever removes published rows.
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export type WalSync = 'full' | 'normal';

/** SQLite's `PRAGMA synchronous` levels, by the number the pragma reads back. */
const SYNCHRONOUS_LEVELS = ['off', 'normal', 'full', 'extra'] as const;
export type SynchronousLevel = (typeof SYNCHRONOUS_LEVELS)[number];

export interface WalRowInput {
  stream: string;
  source: string;
  requestId: string;
  type: string;
  /** The normalised event as JSON text (stored as is, published as is). */
  payload: string;
  /** Epoch ms. */
  receivedAt: number;
}

export interface WalRow extends WalRowInput {
  id: number;
  /** UTF-8 bytes of the payload, measured once when the row was written. */
  bytes: number;
}

export interface WalStats {
  pendingCount: number;
  pendingBytes: number;
  publishedCount: number;
  /** Epoch ms of the oldest pending row's receivedAt, or null. */
  oldestPendingAt: number | null;
  /** Size of the database file and its -wal file, bytes. */
  fileBytes: number;
  lastId: number;
  /**
   * `PRAGMA synchronous` as this connection reads it back. The setting is per
   * connection, not stored in the file: only the connection that writes (the
   * gateway's WAL thread) tells what the acknowledgements rely on.
   */
  synchronous: SynchronousLevel;
}

export interface CleanupResult {
  deleted: number;
  reclaimedPages: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS wal_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    stream       TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    request_id   TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    bytes        INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    published_at INTEGER
  );
  -- The relay scans pending rows in id order; a partial index keeps that
  -- cheap however many published rows are retained.
  CREATE INDEX IF NOT EXISTS wal_events_pending ON wal_events (id) WHERE published_at IS NULL;
  CREATE INDEX IF NOT EXISTS wal_events_published ON wal_events (published_at) WHERE published_at IS NOT NULL;
`;

export class WalStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #pending: StatementSync;
  readonly #markPublished: StatementSync;

  constructor(path: string, options: { sync?: WalSync; readOnly?: boolean } = {}) {
    this.path = path;
    this.#db = new DatabaseSync(path, { readOnly: options.readOnly ?? false, timeout: 5000 });
    if (!options.readOnly) {
      // auto_vacuum must be chosen before the first table exists; INCREMENTAL
      // lets cleanup hand freed pages back to the file system, so the file's
      // size stays bounded after a burst.
      this.#db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec(`PRAGMA synchronous = ${options.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
      this.#db.exec(SCHEMA);
    }
    this.#insert = this.#db.prepare(
      'INSERT INTO wal_events (stream, source, request_id, type, payload, bytes, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#pending = this.#db.prepare(
      `SELECT id, stream, source, request_id AS requestId, type, payload, bytes, received_at AS receivedAt
         FROM wal_events WHERE published_at IS NULL AND id > ? ORDER BY id LIMIT ?`,
    );
    this.#markPublished = this.#db.prepare(
      'UPDATE wal_events SET published_at = ? WHERE id = ? AND published_at IS NULL RETURNING bytes',
    );
  }

  /**
   * Appends rows in ONE transaction (the group commit): with synchronous=FULL
   * the commit fsyncs once for the whole group. Returns the ids given and each
   * row's payload bytes (measured here, in the WAL's thread, once).
   */
  append(rows: readonly WalRowInput[]): { firstId: number; lastId: number; rowBytes: number[] } {
    if (rows.length === 0) return { firstId: 0, lastId: 0, rowBytes: [] };
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      let firstId = 0;
      let lastId = 0;
      const rowBytes: number[] = [];
      for (const r of rows) {
        const bytes = Buffer.byteLength(r.payload);
        rowBytes.push(bytes);
        const res = this.#insert.run(r.stream, r.source, r.requestId, r.type, r.payload, bytes, r.receivedAt);
        lastId = Number(res.lastInsertRowid);
        if (firstId === 0) firstId = lastId;
      }
      this.#db.exec('COMMIT');
      return { firstId, lastId, rowBytes };
    } catch (err) {
      this.#rollback();
      throw err;
    }
  }

  /**
   * Ends a failed transaction. SQLite may have rolled it back already (a full
   * disk, an I/O error), and then ROLLBACK itself fails with "no transaction is
   * active": that must not replace the error that says what happened.
   */
  #rollback(): void {
    if (!this.#db.isTransaction) return;
    try {
      this.#db.exec('ROLLBACK');
    } catch {}
  }

  /** Pending rows after `afterId` in id order, at most `limit` rows and (beyond the first) `maxBytes` of payload. */
  readPending(afterId: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): WalRow[] {
    const rows = this.#pending.all(afterId, limit) as unknown as WalRow[];
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      bytes += rows[i]!.bytes;
      if (bytes > maxBytes && i > 0) return rows.slice(0, i);
    }
    return rows;
  }

  /**
   * Marks rows published, in one transaction. Returns how many rows and payload
   * bytes left the pending set (rows already published don't count), so the
   * pending gauges stay exact.
   */
  markPublished(ids: readonly number[], at: number): { rows: number; bytes: number } {
    if (ids.length === 0) return { rows: 0, bytes: 0 };
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      let rows = 0;
      let bytes = 0;
      for (const id of ids) {
        const changed = this.#markPublished.get(at, id) as { bytes: number } | undefined;
        if (changed) {
          rows++;
          bytes += changed.bytes;
        }
      }
      this.#db.exec('COMMIT');
      return { rows, bytes };
    } catch (err) {
      this.#rollback();
      throw err;
    }
  }

  stats(): WalStats {
    const p = this.#db
      .prepare(
        'SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes, min(received_at) AS oldest FROM wal_events WHERE published_at IS NULL',
      )
      .get() as { n: number; bytes: number; oldest: number | null };
    const published = this.#db
      .prepare('SELECT count(*) AS n FROM wal_events WHERE published_at IS NOT NULL')
      .get() as { n: number };
    const last = this.#db.prepare('SELECT coalesce(max(id), 0) AS id FROM wal_events').get() as {
      id: number;
    };
    const pages = this.#db.prepare('PRAGMA page_count').get() as { page_count: number };
    const size = this.#db.prepare('PRAGMA page_size').get() as { page_size: number };
    const sync = this.#db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    return {
      pendingCount: p.n,
      pendingBytes: p.bytes,
      publishedCount: published.n,
      oldestPendingAt: p.oldest,
      fileBytes: pages.page_count * size.page_size,
      lastId: last.id,
      synchronous: SYNCHRONOUS_LEVELS[sync.synchronous] ?? 'off',
    };
  }

  /**
   * Removes published rows older than `retentionMs`, and the oldest published
   * rows beyond `maxPublished`; pending rows are never touched. Then gives
   * freed pages back to the file system and truncates the SQLite WAL file.
   */
  cleanup(options: { retentionMs: number; maxPublished: number; now: number }): CleanupResult {
    const cutoff = options.now - options.retentionMs;
    let deleted = Number(
      this.#db
        .prepare('DELETE FROM wal_events WHERE published_at IS NOT NULL AND published_at < ?')
        .run(cutoff).changes,
    );
    const { n } = this.#db
      .prepare('SELECT count(*) AS n FROM wal_events WHERE published_at IS NOT NULL')
      .get() as {
      n: number;
    };
    const excess = n - options.maxPublished;
    if (excess > 0) {
      deleted += Number(
        this.#db
          .prepare(
            `DELETE FROM wal_events WHERE id IN (
               SELECT id FROM wal_events WHERE published_at IS NOT NULL ORDER BY id LIMIT ?)`,
          )
          .run(excess).changes,
      );
    }
    const free = this.#db.prepare('PRAGMA freelist_count').get() as { freelist_count: number };
    this.#db.exec('PRAGMA incremental_vacuum');
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return { deleted, reclaimedPages: free.freelist_count };
  }

  /** A few pending rows without their payloads (for `wal inspect`). */
  inspectPending(limit: number): Omit<WalRow, 'payload'>[] {
    return this.#db
      .prepare(
        `SELECT id, stream, source, request_id AS requestId, type, bytes, received_at AS receivedAt
           FROM wal_events WHERE published_at IS NULL ORDER BY id LIMIT ?`,
      )
      .all(limit) as unknown as Omit<WalRow, 'payload'>[];
  }

  close(): void {
    this.#db.close();
  }
}
