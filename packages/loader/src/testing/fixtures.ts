// Test support (never imported by runtime code): writes event and dead-letter
// files as the worker does, under the object layout, through an ObjectStore.
// Event files come from the worker's own encoder (@eventkit/shared/parquet), so
// what the warehouses are tested with is what the worker writes.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ERROR_COLUMNS, type WarehouseRow } from '@eventkit/shared/event';
import { ParquetEncoder } from '@eventkit/shared/parquet';
import type { ObjectInfo, ObjectStore } from '@eventkit/shared/ports';

export type RowInput = Record<string, unknown> & { message_id: string };

let encoder: Promise<ParquetEncoder> | undefined;
/** One encoder for the test process (an in-memory DuckDB); its temporary directory goes at exit. */
const sharedEncoder = () => {
  if (!encoder) {
    const tempDir = mkdtempSync(join(tmpdir(), 'eventkit-fixture-parquet-'));
    process.once('exit', () => rmSync(tempDir, { recursive: true, force: true }));
    encoder = ParquetEncoder.create({ tempDir });
  }
  return encoder;
};

/** A full events row from a few columns: the rest get plausible values. */
export function eventRow(row: RowInput): Record<string, unknown> {
  const receivedAt = String(row.received_at ?? '2026-11-27T10:00:00.000Z');
  return {
    source: 'web',
    type: 'track',
    event: 'Clicked',
    name: null,
    user_id: null,
    anonymous_id: 'anon-1',
    group_id: null,
    previous_id: null,
    stream: 'events',
    timestamp: receivedAt,
    original_timestamp: receivedAt,
    sent_at: receivedAt,
    received_at: receivedAt,
    loaded_at: null,
    properties: '{"plan":"pro","n":1}',
    traits: null,
    context: '{"library":{"name":"test"}}',
    integrations: null,
    ...row,
  };
}

/** Writes rows as a Parquet file at `path`, with the worker's encoder. */
export async function writeParquet(path: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const full = rows.map((r) => eventRow(r as RowInput) as WarehouseRow);
  await writeFile(path, await (await sharedEncoder()).encodeRows(full));
}

export interface FileSpec {
  stream?: string;
  /** The folder time (write time), ISO; default 2026-11-27T10:00Z. */
  at?: string;
  worker?: string;
  prefix?: string;
}

export function eventKey(spec: FileSpec = {}): string {
  const at = spec.at ?? '2026-11-27T10:00:00.000Z';
  return `${spec.prefix ?? ''}events/stream=${spec.stream ?? 'events'}/date=${at.slice(0, 10)}/hour=${at.slice(11, 13)}/${spec.worker ?? 'w1'}-${randomUUID()}.parquet`;
}

/** Puts one events file into the store (create-only, as the worker does). */
export async function putEventFile(
  store: ObjectStore,
  rows: readonly RowInput[],
  spec: FileSpec & { key?: string } = {},
): Promise<ObjectInfo> {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-fixture-'));
  try {
    const path = join(dir, 'f.parquet');
    await writeParquet(path, rows);
    return await store.put(spec.key ?? eventKey(spec), await readFile(path), { ifNotExists: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A dead-letter row (ERROR_COLUMNS) as `toErrorRow` makes it. */
export function errorRow(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id,
    error_type: 'validation',
    reasons: '[{"code":"missing_field","message":"event is required","path":"event"}]',
    failed_at: '2026-11-27T10:00:00.000Z',
    stream: 'events',
    source: 'web',
    request_id: 'req-1',
    received_at: '2026-11-27T10:00:00.000Z',
    message_id: `msg-${id}`,
    payload: '{"type":"track"}',
    raw: null,
  };
  return Object.fromEntries(
    ERROR_COLUMNS.map((c) => [c.name, c.name in overrides ? overrides[c.name] : base[c.name]]),
  );
}

export async function putErrorFile(
  store: ObjectStore,
  rows: readonly Record<string, unknown>[],
  spec: { at?: string; errorType?: 'validation' | 'processing'; prefix?: string; key?: string } = {},
): Promise<ObjectInfo> {
  const at = spec.at ?? '2026-11-27T10:00:00.000Z';
  const key =
    spec.key ??
    `${spec.prefix ?? ''}errors/date=${at.slice(0, 10)}/error_type=${spec.errorType ?? 'validation'}/w1-${randomUUID()}.ndjson`;
  const body = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  return store.put(key, Buffer.from(body), { ifNotExists: true, contentType: 'application/x-ndjson' });
}

/**
 * A valid Parquet file that is no events file (one column `x`): the load fails
 * with an error about the schema, which the loader cannot tell from a
 * systemic one ('unknown'), so alone it is retried, never quarantined.
 */
export async function otherSchemaParquet(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-fixture-'));
  try {
    const path = join(dir, 'other.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT 1 AS x) TO '${path}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
