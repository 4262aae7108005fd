import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'vitest';
import { objectStoreContract } from '../../contracts/index.ts';
import { ObjectExistsError, PreconditionFailedError } from '../../ports/object-store.ts';
import { MemoryObjectStore } from '../memory/memory-object-store.ts';
import { FileObjectStore, InvalidObjectKeyError } from './file-object-store.ts';

const tempRoot = () => fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-objects-'));

objectStoreContract('memory', async () => ({ store: new MemoryObjectStore(), cleanup: async () => {} }));

objectStoreContract('local files', async () => {
  const root = await tempRoot();
  return { store: new FileObjectStore(root), cleanup: () => fs.rm(root, { recursive: true, force: true }) };
});

describe('FileObjectStore specifics', () => {
  test('lays objects out as the bucket keys under the root, with no temporaries left', async () => {
    const root = await tempRoot();
    const store = new FileObjectStore(root);
    const key = 'events/stream=events/date=2026-11-27/hour=10/w-1.parquet';
    const info = await store.put(key, Buffer.from('x'), { ifNotExists: true });
    assert.equal(
      info.uri,
      path.join(root, 'events', 'stream=events', 'date=2026-11-27', 'hour=10', 'w-1.parquet'),
    );
    const dir = await fs.readdir(path.dirname(info.uri));
    assert.deepEqual(dir, ['w-1.parquet']);
    await assert.rejects(store.put(key, Buffer.from('y'), { ifNotExists: true }), ObjectExistsError);
    assert.deepEqual(
      await fs.readdir(path.dirname(info.uri)),
      ['w-1.parquet'],
      'a refused put must not leave a temporary',
    );
    await fs.rm(root, { recursive: true, force: true });
  });

  test('hides a temporary left by a crash from listings', async () => {
    const root = await tempRoot();
    const store = new FileObjectStore(root);
    await store.put('events/a.parquet', Buffer.from('a'));
    await fs.writeFile(path.join(root, 'events', '.tmp-crashed'), 'half a file');
    const page = await store.list('events/');
    assert.deepEqual(
      page.objects.map((o) => o.key),
      ['events/a.parquet'],
    );
    await fs.rm(root, { recursive: true, force: true });
  });

  test('rejects keys that would escape the root or are not bucket-like', async () => {
    const store = new FileObjectStore(await tempRoot());
    for (const bad of ['../etc/passwd', '/abs', 'a//b', 'a/./b', '', 'a/.tmp-x']) {
      await assert.rejects(store.put(bad, Buffer.from('x')), InvalidObjectKeyError, bad);
    }
  });

  test('concurrent create-only puts of one key: exactly one wins', async () => {
    const root = await tempRoot();
    const store = new FileObjectStore(root);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.put('race/k', Buffer.from(String(i)), { ifNotExists: true })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => (r as PromiseRejectedResult).reason instanceof ObjectExistsError),
    );
    await fs.rm(root, { recursive: true, force: true });
  });
});

describe('FileObjectStore conditional writes across processes', () => {
  test('a lock left by a process that died is broken; a live holder makes the writer wait, then it sees the new version', async () => {
    const root = await tempRoot();
    const store = new FileObjectStore(root);
    const v1 = await store.put('_eventkit/loader.lease', Buffer.from('1'), { ifNotExists: true });
    const lock = path.join(root, '_eventkit', '.tmp-lock-loader.lease');

    // A PID that surely belongs to no process any more: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await fs.writeFile(lock, String(dead));
    const v2 = await store.put('_eventkit/loader.lease', Buffer.from('2'), {
      ifGenerationMatch: v1.generation,
    });
    await assert.rejects(fs.stat(lock), { code: 'ENOENT' }, 'the stale lock is gone');

    // A live holder (this process's PID stands for one): the writer waits for the release.
    await fs.writeFile(lock, String(process.pid));
    setTimeout(() => void fs.rm(lock), 150);
    const started = Date.now();
    await assert.rejects(
      store.put('_eventkit/loader.lease', Buffer.from('3'), { ifGenerationMatch: v1.generation }),
      PreconditionFailedError,
    );
    assert.ok(Date.now() - started >= 100, 'waited for the holder');
    assert.equal((await store.get('_eventkit/loader.lease')).toString(), '2');
    assert.equal((await store.stat('_eventkit/loader.lease'))?.generation, v2.generation);
    assert.deepEqual(
      await fs.readdir(path.join(root, '_eventkit')),
      ['loader.lease'],
      'no lock or temporary left',
    );
    await fs.rm(root, { recursive: true, force: true });
  });
});
