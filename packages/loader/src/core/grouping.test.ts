import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { groupFiles, jobIdFor } from './grouping.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* files(...sizes: number[]) {
  for (const [i, size] of sizes.entries()) yield { key: `k${i}`, size };
}

describe('grouping', () => {
  test('cuts at the file limit and at the byte limit, keeping order', async () => {
    const byFiles = await collect(groupFiles(files(1, 1, 1, 1, 1), { maxFiles: 2, maxBytes: 100 }));
    assert.deepEqual(
      byFiles.map((g) => g.map((f) => f.key)),
      [['k0', 'k1'], ['k2', 'k3'], ['k4']],
    );
    const byBytes = await collect(groupFiles(files(40, 40, 40, 10), { maxFiles: 10, maxBytes: 100 }));
    assert.deepEqual(
      byBytes.map((g) => g.map((f) => f.key)),
      [
        ['k0', 'k1'],
        ['k2', 'k3'],
      ],
    );
  });

  test('a file larger than the byte limit makes a job of its own; no files, no jobs', async () => {
    const groups = await collect(groupFiles(files(5, 500, 5), { maxFiles: 10, maxBytes: 100 }));
    assert.deepEqual(
      groups.map((g) => g.map((f) => f.size)),
      [[5], [500], [5]],
    );
    assert.deepEqual(await collect(groupFiles(files(), { maxFiles: 10, maxBytes: 100 })), []);
  });

  test('job ids: a hash of the table and the sorted keys; a salt makes another family', () => {
    const id = jobIdFor('events', ['b', 'a']);
    assert.match(id, /^events_[0-9a-f]{32}$/);
    assert.equal(jobIdFor('events', ['a', 'b']), id);
    assert.notEqual(jobIdFor('errors', ['a', 'b']), id.replace('events', 'errors'));
    assert.notEqual(jobIdFor('events', ['a', 'b', 'c']), id);
    assert.notEqual(jobIdFor('events', ['a\nb']), jobIdFor('events', ['a', 'b']));
    assert.match(jobIdFor('events', ['a', 'b'], 'backfill 1'), /^backfill_events_[0-9a-f]{32}$/);
    assert.notEqual(jobIdFor('events', ['a'], 'x'), jobIdFor('events', ['a'], 'y'));
  });
});
