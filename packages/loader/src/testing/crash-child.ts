// Test fixture, run as a child process by cli.int.test.ts: a loader over
// EVENTKIT_DATA_DIR-style files that stops dead between loading a job's rows
// and recording its files (inside the load transaction), says so on stdout,
// and waits to be killed. It holds the loader lease then, as a loader on the
// data directory (same machine) does.
//   node crash-child.ts <data dir>
import { join } from 'node:path';
import { FileObjectStore } from '@eventkit/shared/local';
import { createLoader } from '../core/loader.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.ts';
import { defaultLoaderSettings } from './settings.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-child.ts <data dir>');
const warehouse = new DuckDbWarehouse({
  path: join(dir, 'warehouse.duckdb'),
  dataset: 'events',
  table: 'raw_events',
  hooks: {
    beforeRecord: async () => {
      process.stdout.write('between-load-and-record\n');
      await new Promise(() => setInterval(() => {}, 1000));
    },
  },
});
await createLoader({
  ...defaultLoaderSettings(),
  store: new FileObjectStore(dir),
  warehouse,
  leaseSameMachine: true,
}).runOnce();
