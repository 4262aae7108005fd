// The lease rules that need no server: lost answers, unreadable leases, own leases.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { MemoryObjectStore } from '@eventkit/shared/memory';
import { type ObjectInfo, PreconditionFailedError, type PutOptions } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import { Lease } from './lease.ts';

const KEY = '_eventkit/loader-test.lease';

/** A bucket whose next conditional write lands but answers 412, as a client retry after a lost answer does. */
class LostAnswerStore extends MemoryObjectStore {
  loseNext = 0;
  override async put(key: string, data: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const info = await super.put(key, data, options);
    if (this.loseNext > 0 && (options.ifGenerationMatch || options.ifNotExists)) {
      this.loseNext -= 1;
      throw new PreconditionFailedError(key, options.ifGenerationMatch ?? '0');
    }
    return info;
  }
}

describe('loader lease rules', () => {
  test('a write that landed but whose answer was lost is recognised as our own (by its nonce), on taking and on renewing', async () => {
    const store = new LostAnswerStore();
    const lease = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'a' });
    store.loseNext = 1;
    assert.deepEqual(await lease.acquire(), { acquired: true });
    assert.equal(lease.generation, (await store.stat(KEY))?.generation);
    store.loseNext = 1;
    await lease.renew();
    assert.equal(lease.generation, (await store.stat(KEY))?.generation);
  });

  test('an unreadable lease lasts one duration from its last write, then is taken over', async () => {
    const store = new MemoryObjectStore();
    await store.put(KEY, Buffer.from('not json'));
    const written = (await store.stat(KEY))!.updated.getTime();
    let now = written + 1_000;
    const lease = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'a', now: () => now });
    const refused = await lease.acquire();
    assert.deepEqual(refused, {
      acquired: false,
      holder: { owner: 'unknown', expiresAt: new Date(written + 60_000) },
    });
    now = written + 60_001;
    assert.deepEqual(await lease.acquire(), { acquired: true });
  });

  test('a lease of our own that was not released (a failed release) is taken again at once', async () => {
    const store = new MemoryObjectStore();
    const first = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'same' });
    await first.acquire();
    const again = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'same' });
    assert.deepEqual(await again.acquire(), { acquired: true });
  });

  test('confirm() right after a renewal landed does not mistake our new generation for a takeover', async () => {
    const store = new MemoryObjectStore();
    let now = 0;
    const lease = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'a', now: () => now });
    await lease.acquire();
    now = 1_000;
    const renewing = lease.renew();
    await lease.confirm();
    await renewing;
    assert.equal(lease.held, true);
  });

  test('on one machine (the data directory), a lease left by a process of this host that is gone is free at once; on a bucket it waits for expiry', async () => {
    const store = new MemoryObjectStore();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const record = (pid: number) =>
      Buffer.from(
        JSON.stringify({
          owner: `${hostname()}:${pid}:x`,
          host: hostname(),
          pid,
          nonce: 'n',
          acquired_at: new Date().toISOString(),
          renewed_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 120_000).toISOString(),
        }),
      );
    await store.put(KEY, record(dead));
    const bucket = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'b' });
    assert.equal((await bucket.acquire()).acquired, false, 'a bucket: hostnames and PIDs prove nothing');
    const local = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'l', sameMachine: true });
    assert.deepEqual(await local.acquire(), { acquired: true });

    await store.put(KEY, record(process.pid)); // a live process (another loader in this one)
    const other = new Lease({ store, key: KEY, durationMs: 60_000, owner: 'o', sameMachine: true });
    assert.equal((await other.acquire()).acquired, false, 'a live holder keeps it');
  });
});
