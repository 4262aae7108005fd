// The assembled gateway in process (WAL thread, publisher, app), for the
// promises that span its parts: liveness when the WAL dies, and an exact count
// of what a shutdown leaves behind.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { loadConfig } from '@eventkit/shared/config';
import { silentLogger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import type { QueuePublisher } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import { createGateway, WRITE_FAILURE_NOT_READY_MS } from './gateway.ts';
import { gatewaySettingsFromConfig } from './settings.ts';
import { WriteAheadLog } from './wal/wal.ts';

/** A queue that never confirms: everything accepted stays pending. */
const stuckQueue: QueuePublisher = {
  publish: () => new Promise<string>(() => {}),
  close: async () => {},
};

async function gateway(queue: QueuePublisher = stuckQueue) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-gw-'));
  const { config } = loadConfig('gateway', { EVENTKIT_DATA_DIR: dataDir, GCP_PROJECT_ID: 'p' });
  const gw = await createGateway({
    settings: gatewaySettingsFromConfig(config),
    queue,
    logger: silentLogger(),
    registry: createMetricsRegistry({}, { processMetrics: false }),
  });
  gw.start();
  return { gw, file: config.ringBufferDbPath };
}

const track = (i: number) => ({ type: 'track', event: 'E', userId: 'u', messageId: `m-${i}` });
const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });

describe('gateway liveness and shutdown', () => {
  test('/health fails (503, with the reason) once the WAL thread has died; before, it is 200', async () => {
    const { gw } = await gateway();
    assert.equal((await gw.app.request('/health')).status, 200);
    assert.equal((await gw.app.request('/collect', post(track(1)))).status, 202);

    await gw.wal.crashThreadForTest();
    const health = await gw.app.request('/health');
    assert.equal(health.status, 503, 'a gateway that cannot write its WAL must be restarted');
    assert.match(((await health.json()) as { reason: string }).reason, /WAL failed/);
    const refused = await gw.app.request('/collect', post(track(2)));
    assert.equal(refused.status, 503, 'nothing is acknowledged meanwhile');
    await gw.shutdown(Date.now());
  });

  test('a failed WAL write (a full disk) makes /ready 503 for 5 s, /health stays 200; ready again after, and writes succeed once the disk has room', async () => {
    const { gw, file } = await gateway();
    const db = new DatabaseSync(file);
    try {
      assert.equal((await gw.app.request('/collect', post(track(1)))).status, 202);
      assert.equal((await gw.app.request('/ready')).status, 200);
      // A full disk as SQLite reports it, from a second connection to the WAL file.
      db.exec(`CREATE TRIGGER simulate_full BEFORE INSERT ON wal_events
             BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full (simulated)'); END`);
      const refused = await gw.app.request('/collect', post(track(2)));
      assert.equal(refused.status, 503, 'nothing is acknowledged that was not written');
      const ready = await gw.app.request('/ready');
      assert.equal(ready.status, 503, 'a load balancer sends the traffic elsewhere');
      assert.match(
        ((await ready.json()) as { reason: string }).reason,
        /last WAL write failed .*disk is full/,
      );
      assert.equal((await gw.app.request('/health')).status, 200, 'a restart would not free the disk');

      db.exec('DROP TRIGGER simulate_full');
      await new Promise((r) => setTimeout(r, WRITE_FAILURE_NOT_READY_MS + 200));
      assert.equal(
        (await gw.app.request('/ready')).status,
        200,
        'ready again past the window, to try the disk anew',
      );
      assert.equal((await gw.app.request('/collect', post(track(3)))).status, 202);
      assert.equal(gw.wal.pendingCount, 2, 'the two accepted events, not the refused one');
    } finally {
      db.close();
      await gw.shutdown(Date.now());
    }
  });

  test('the shutdown report counts what is pending in the file after the last commit, appends during the drain included', async () => {
    const { gw, file } = await gateway();
    assert.equal((await gw.app.request('/v1/batch', post({ batch: [track(1), track(2)] }))).status, 200);
    // A request admitted before shutdown whose append lands while the publisher drains.
    const drain = gw.relay.drain.bind(gw.relay);
    gw.relay.drain = async (deadline) => {
      const result = await drain(deadline);
      void gw.wal.append([
        {
          stream: 'events',
          source: 'default',
          requestId: 'late',
          type: 'track',
          payload: '{}',
          receivedAt: 1,
        },
      ]);
      return result;
    };
    const { remaining } = await gw.shutdown(Date.now() + 100);
    const reopened = await WriteAheadLog.open(file);
    const inFile = reopened.pendingCount;
    await reopened.close();
    assert.equal(inFile, 3, 'two accepted events and the late append are pending in the file');
    assert.equal(remaining, inFile, 'the report operators act on says exactly that');
  });
});
