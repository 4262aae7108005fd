// A warehouse set up wrongly (e.g. its dataset in another location than
// GCP_BIGQUERY_LOCATION) fails every run alike: the loop stops at once with the
// reason instead of failing every interval for ever.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileObjectStore } from '@eventkit/shared/local';
import { type Warehouse, WarehouseConfigError } from '@eventkit/shared/ports';
import { afterAll, describe, test } from 'vitest';
import { defaultLoaderSettings } from '../testing/settings.ts';
import { createLoader } from './loader.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function misconfigured(): Warehouse & { calls: number } {
  const w = {
    kind: 'test',
    calls: 0,
    async ensureTables() {
      w.calls += 1;
      throw new WarehouseConfigError('dataset p.d is in US, but GCP_BIGQUERY_LOCATION is EU');
    },
    async load(): Promise<never> {
      throw new Error('not reached');
    },
    async loadedKeys() {
      return new Set<string>();
    },
    async close() {},
  };
  return w as unknown as Warehouse & { calls: number };
}

describe('a misconfigured warehouse', () => {
  test('ends the loop after one run with the reason (no retry every interval)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventkit-loader-cfg-'));
    dirs.push(dir);
    const warehouse = misconfigured();
    const loader = createLoader({
      ...defaultLoaderSettings({ intervalSeconds: 0.01 }),
      store: new FileObjectStore(dir),
      warehouse,
    });
    const outcome = await Promise.race([
      loader.loop().then(
        () => 'ended without an error',
        (err: unknown) => err,
      ),
      new Promise((r) => setTimeout(() => r('still looping after 2 s'), 2000)),
    ]);
    await loader.stop();
    assert.ok(outcome instanceof WarehouseConfigError, String(outcome));
    assert.match(outcome.message, /GCP_BIGQUERY_LOCATION is EU/);
    assert.equal(warehouse.calls, 1, 'one run, not one per interval');
  });
});
