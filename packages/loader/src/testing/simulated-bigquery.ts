// Test support: gives the fake BigQuery server (which executes no SQL) just
// enough meaning to run the warehouse contract against BigQueryWarehouse. The
// statements the adapter sends are recognised by their `-- eventkit:` header
// and answered from a small model: staged rows come from the files the load
// jobs named, the MERGE keeps one row per key and skips keys already in the
// model's table within the @window_start..@window_end parameters, the ledger
// rows come from @files. This checks the adapter's flow (ids, retries, what is
// recorded when) against the contract; the SQL text itself is asserted
// separately, and run for real by the opt-in BigQuery test.
import type { FakeBigQueryServer, FakeJob } from '@eventkit/testing';

type Row = Record<string, unknown>;

export interface SimulatedBigQuery {
  /** The rows of each staged file, by gs:// URI (filled by the test as it writes files). */
  rowsByUri: Map<string, Row[]>;
  /** Target table name → rows. */
  tables: Map<string, Row[]>;
  ledger: { key: string; target: string; job_id: string; row_count: number; loaded_at: Date }[];
}

const keyColumns = (target: string) => (target.endsWith('_errors') ? ['id'] : ['source', 'message_id']);
const timeColumn = (target: string) => (target.endsWith('_errors') ? 'failed_at' : 'received_at');
const keyOf = (row: Row, cols: string[]) => cols.map((c) => String(row[c])).join('\u0000');
const timeOf = (row: Row, col: string) => Date.parse(String(row[col]));

export function simulateBigQuery(server: FakeBigQueryServer): SimulatedBigQuery {
  const sim: SimulatedBigQuery = { rowsByUri: new Map(), tables: new Map(), ledger: [] };

  const stagedRows = (stagingTable: string): Row[] => {
    const load = server
      .jobs()
      .filter((j) => j.type === 'LOAD' && j.state === 'DONE' && !j.errorResult)
      .filter((j) => destinationOf(j) === stagingTable)
      .at(-1);
    const uris = ((load?.configuration.load as { sourceUris?: string[] })?.sourceUris ?? []) as string[];
    return uris.flatMap((u) => sim.rowsByUri.get(u) ?? []);
  };

  server.onQuery((sql, { job, params }) => {
    const p = params as Record<string, unknown>;
    if (sql.startsWith('-- eventkit:count-files')) {
      const defs = (
        job.configuration.query as { tableDefinitions?: Record<string, { sourceUris: string[] }> }
      ).tableDefinitions;
      const uris = defs?.files?.sourceUris ?? [];
      const rows = uris.flatMap((uri) => {
        const staged = sim.rowsByUri.get(uri) ?? [];
        if (staged.length === 0) return [];
        const column = /MIN\(`(\w+)`\)/.exec(sql)?.[1] ?? 'received_at';
        const times = staged.map((r) => timeOf(r, column));
        return [
          {
            uri,
            row_count: staged.length,
            min_time: new Date(Math.min(...times)),
            max_time: new Date(Math.max(...times)),
          },
        ];
      });
      return {
        rows,
        schema: [
          { name: 'uri', type: 'STRING' },
          { name: 'row_count', type: 'INTEGER' },
          { name: 'min_time', type: 'TIMESTAMP' },
          { name: 'max_time', type: 'TIMESTAMP' },
        ],
      };
    }
    if (sql.startsWith('-- eventkit:merge')) {
      const target = /target=(\S+)/.exec(sql)?.[1] ?? '';
      const staging = /FROM `[^.`]+\.[^.`]+\.([^`]+)`\s+WHERE TRUE/.exec(sql)?.[1] ?? '';
      const cols = keyColumns(target);
      const time = timeColumn(target);
      const table = sim.tables.get(target) ?? [];
      sim.tables.set(target, table);
      const first = new Map<string, Row>();
      for (const row of stagedRows(staging)) {
        const k = keyOf(row, cols);
        const seen = first.get(k);
        if (!seen || timeOf(row, time) < timeOf(seen, time)) first.set(k, row);
      }
      const start = p.window_start ? Date.parse(String(p.window_start)) : Number.NaN;
      const end = p.window_end ? Date.parse(String(p.window_end)) : Number.NaN;
      const inWindow = new Set(
        table.filter((r) => timeOf(r, time) >= start && timeOf(r, time) <= end).map((r) => keyOf(r, cols)),
      );
      const loadedAt = new Date();
      const fresh = [...first.values()].filter((r) => !inWindow.has(keyOf(r, cols)));
      table.push(...fresh.map((r) => ({ ...r, loaded_at: loadedAt.toISOString() })));
      for (const f of (p.files ?? []) as { key: string; row_count: string }[]) {
        sim.ledger.push({
          key: f.key,
          target: String(p.target_table),
          job_id: String(p.job_id),
          row_count: Number(f.row_count),
          loaded_at: loadedAt,
        });
      }
      return {
        rows: [{ rows_inserted: fresh.length }],
        schema: [{ name: 'rows_inserted', type: 'INTEGER' }],
      };
    }
    if (sql.startsWith('-- eventkit:loaded-keys')) {
      const keys = new Set((p.keys ?? []) as string[]);
      const found = [...new Set(sim.ledger.filter((l) => keys.has(l.key)).map((l) => l.key))];
      return { rows: found.map((key) => ({ key })), schema: [{ name: 'key', type: 'STRING' }] };
    }
    if (sql.startsWith('-- eventkit:last-loaded-keys')) {
      const rows = ((p.prefixes ?? []) as string[]).flatMap((prefix) => {
        const keys = sim.ledger.map((l) => l.key).filter((k) => k.startsWith(prefix));
        return keys.length > 0 ? [{ prefix, last_key: keys.sort().at(-1) }] : [];
      });
      return {
        rows,
        schema: [
          { name: 'prefix', type: 'STRING' },
          { name: 'last_key', type: 'STRING' },
        ],
      };
    }
    if (sql.startsWith('-- eventkit:ledger-summary')) {
      const latest = new Map<string, (typeof sim.ledger)[number]>();
      for (const l of sim.ledger) latest.set(l.key, l);
      const last = sim.ledger.at(-1)?.loaded_at;
      return {
        rows: [
          {
            files: latest.size,
            row_count: [...latest.values()].reduce((n, l) => n + l.row_count, 0),
            last_loaded_at: last ?? null,
          },
        ],
        schema: [
          { name: 'files', type: 'INTEGER' },
          { name: 'row_count', type: 'INTEGER' },
          { name: 'last_loaded_at', type: 'TIMESTAMP' },
        ],
      };
    }
    return undefined;
  });
  return sim;
}

function destinationOf(job: FakeJob): string | undefined {
  return (job.configuration.load as { destinationTable?: { tableId?: string } } | undefined)?.destinationTable
    ?.tableId;
}
