// The doctor's building blocks: checks bounded in time, the directory and
// object-store probes, the Pub/Sub permission checks against a client that
// answers as IAM documents, the report, and the production start-up gate.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import { describe, test } from 'vitest';
import { FileObjectStore } from '../adapters/local/file-object-store.ts';
import { subscriptionCheck, topicCheck } from '../adapters/pubsub/doctor.ts';
import { type Logger, silentLogger } from '../logging/logger.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { type Check, CheckFailure, exitCodeOf, failuresOf, runChecks } from './check.ts';
import { directoryCheck } from './directory.ts';
import { objectStoreCheck } from './object-store.ts';
import { renderDoctor } from './report.ts';
import { startupGate } from './startup-gate.ts';

const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-doctor-'));
const check = (name: string, run: Check['run']): Check => ({ name, run });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runChecks', () => {
  test('a check answering inside the timeout passes; one that never answers fails at the timeout, naming it', async () => {
    const started = Date.now();
    const [fast, hung] = await runChecks(
      [
        check('answers at 100 ms', async () => {
          await sleep(100);
          return { status: 'ok', detail: 'fine' };
        }),
        check('never answers', () => new Promise(() => {})),
      ],
      { timeoutMs: 300 },
    );
    assert.equal(fast?.status, 'ok');
    assert.equal(hung?.status, 'fail');
    assert.match(hung?.detail ?? '', /no answer within 0.3 s/);
    assert.ok(hung?.fix);
    assert.ok(Date.now() - started < 2_000, 'the checks ran at once, bounded');
  });

  test('a thrown CheckFailure keeps its fix; any other error fails with its message; exit code and failure line follow', async () => {
    const results = await runChecks([
      check('a', async () => {
        throw new CheckFailure('the thing is missing', 'create the thing');
      }),
      check('b', async () => {
        throw new Error('boom');
      }),
      check('c', async () => ({ status: 'warn', detail: 'works, with a caveat' })),
    ]);
    assert.deepEqual(
      results.map((r) => [r.check, r.status, r.detail]),
      [
        ['a', 'fail', 'the thing is missing'],
        ['b', 'fail', 'boom'],
        ['c', 'warn', 'works, with a caveat'],
      ],
    );
    assert.equal(results[0]?.fix, 'create the thing');
    assert.equal(exitCodeOf(results), 1);
    assert.equal(failuresOf(results), 'a: the thing is missing; b: boom');
    assert.equal(exitCodeOf(results.slice(2)), 0, 'a warning alone is not a failure');
    assert.equal(failuresOf(results.slice(2)), undefined);
  });
});

describe('directoryCheck', () => {
  test('a writable directory passes and keeps no probe file; a missing one is judged by its nearest parent', async () => {
    const dir = await tmp();
    const [ok] = await runChecks([directoryCheck(dir, { setting: 'EVENTKIT_DATA_DIR', minFreeBytes: 1 })]);
    assert.equal(ok?.status, 'ok', ok?.detail);
    assert.match(ok?.detail ?? '', /writable, \d+ MiB free/);
    assert.deepEqual(await fs.readdir(dir), [], 'the probe file is gone');
    const [later] = await runChecks([
      directoryCheck(path.join(dir, 'a', 'b'), { setting: 'EVENTKIT_DATA_DIR', minFreeBytes: 1 }),
    ]);
    assert.equal(later?.status, 'ok');
    assert.match(later?.detail ?? '', new RegExp(`not there yet: created at start, under ${dir}`));
  });

  test('a file where the directory should be, and too little free space, fail with the setting in the fix', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'f');
    await fs.writeFile(file, 'x');
    const [notDir, full] = await runChecks([
      directoryCheck(path.join(file, 'data'), { setting: 'EVENTKIT_DATA_DIR', minFreeBytes: 1 }),
      directoryCheck(dir, { setting: 'EVENTKIT_DATA_DIR', minFreeBytes: Number.MAX_SAFE_INTEGER }),
    ]);
    assert.equal(notDir?.status, 'fail');
    assert.match(notDir?.detail ?? '', /is a file, not a directory/);
    assert.match(notDir?.fix ?? '', /EVENTKIT_DATA_DIR/);
    assert.equal(full?.status, 'fail');
    assert.match(full?.detail ?? '', /writable, but only \d+ MiB free/);
    assert.match(full?.fix ?? '', /EVENTKIT_DATA_DIR/);
  });
});

describe('objectStoreCheck', () => {
  test('a writer writes, reads back and deletes its probe under {prefix}_eventkit/doctor/; a reader lists', async () => {
    const store = new FileObjectStore(await tmp());
    const [write, read] = await runChecks([
      objectStoreCheck(store, { where: 'here', prefix: 'p/', access: 'write', fix: 'grant it' }),
      objectStoreCheck(store, { where: 'here', prefix: 'p/', access: 'read', fix: 'grant it' }),
    ]);
    assert.equal(write?.status, 'ok', write?.detail);
    assert.equal(read?.status, 'ok', read?.detail);
    assert.deepEqual((await store.list('p/_eventkit/doctor/')).objects, [], 'no probe object left');
  });

  test('a store that refuses deletes (a worker with objectCreator) is a warning with the key; a refused write fails with the fix', async () => {
    const store = new FileObjectStore(await tmp());
    // The store as such, with one call refused as GCS refuses it.
    const refusing = (method: 'put' | 'delete', message: string): ObjectStore => ({
      put: (k, d, o) => store.put(k, d, o),
      get: (k) => store.get(k),
      stat: (k) => store.stat(k),
      list: (p, o) => store.list(p, o),
      delete: (k, o) => store.delete(k, o),
      [method]: async () => {
        throw new Error(message);
      },
    });
    const noDelete = refusing('delete', '403 storage.objects.delete denied');
    const noWrite = refusing('put', '403 storage.objects.create denied');
    const [warn, fail] = await runChecks([
      objectStoreCheck(noDelete, { where: 'b', prefix: '', access: 'write', fix: 'grant objectCreator' }),
      objectStoreCheck(noWrite, { where: 'b', prefix: '', access: 'write', fix: 'grant objectCreator' }),
    ]);
    assert.equal(warn?.status, 'warn', warn?.detail);
    assert.match(warn?.detail ?? '', /could not delete it \(_eventkit\/doctor\/[0-9a-f-]+\)/);
    assert.equal(fail?.status, 'fail');
    assert.match(fail?.detail ?? '', /storage\.objects\.create denied/);
    assert.equal(fail?.fix, 'grant objectCreator');
  });
});

/**
 * A Pub/Sub client whose testIamPermissions answers as IAM documents it: the subset
 * of the permissions asked for that the caller holds, an empty set for a resource
 * that does not exist (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/testIamPermissions);
 * or, as the emulator does, UNIMPLEMENTED.
 */
function iamPubSub(opts: { exists: boolean; granted: string[]; emulator?: boolean }): PubSub {
  const resource = () => ({
    iam: {
      async testPermissions(permissions: string[]) {
        if (opts.emulator) throw Object.assign(new Error('12 UNIMPLEMENTED'), { code: 12 });
        const held = opts.exists ? permissions.filter((p) => opts.granted.includes(p)) : [];
        return [Object.fromEntries(permissions.map((p) => [p, held.includes(p)]))];
      },
    },
    exists: async () => [opts.exists],
  });
  return { topic: resource, subscription: resource } as unknown as PubSub;
}

describe('Pub/Sub checks', () => {
  test('the topic: publish granted passes; not granted (or no such topic) fails naming both, with the role to grant', async () => {
    const [ok, denied, gone] = await runChecks([
      topicCheck(iamPubSub({ exists: true, granted: ['pubsub.topics.publish'] }), 'events', {
        create: false,
      }),
      topicCheck(iamPubSub({ exists: true, granted: [] }), 'events', { create: false }),
      topicCheck(iamPubSub({ exists: false, granted: ['pubsub.topics.publish'] }), 'evnets', {
        create: false,
      }),
    ]);
    assert.equal(ok?.status, 'ok');
    assert.match(ok?.detail ?? '', /has pubsub.topics.publish/);
    for (const r of [denied, gone]) {
      assert.equal(r?.status, 'fail');
      assert.match(r?.detail ?? '', /does not exist, or this identity lacks the permission/);
      assert.match(r?.fix ?? '', /roles\/pubsub.publisher/);
      assert.match(r?.fix ?? '', /EVENTKIT_PUBSUB_TOPIC/);
    }
  });

  test('the subscription needs pubsub.subscriptions.consume (roles/pubsub.subscriber)', async () => {
    const [ok, denied] = await runChecks([
      subscriptionCheck(iamPubSub({ exists: true, granted: ['pubsub.subscriptions.consume'] }), 's', {
        create: false,
      }),
      subscriptionCheck(iamPubSub({ exists: true, granted: ['pubsub.topics.publish'] }), 's', {
        create: false,
      }),
    ]);
    assert.equal(ok?.status, 'ok');
    assert.equal(denied?.status, 'fail');
    assert.match(denied?.fix ?? '', /roles\/pubsub.subscriber/);
  });

  test('on the emulator (no IAM) existence is checked and the report says permissions were not; a missing one is fine when it will be created', async () => {
    const [there, missing, created] = await runChecks([
      topicCheck(iamPubSub({ exists: true, granted: [], emulator: true }), 't', { create: false }),
      topicCheck(iamPubSub({ exists: false, granted: [], emulator: true }), 't', { create: false }),
      subscriptionCheck(iamPubSub({ exists: false, granted: [], emulator: true }), 's', { create: true }),
    ]);
    assert.equal(there?.status, 'ok');
    assert.match(there?.detail ?? '', /not checked \(the emulator has no IAM\)/);
    assert.equal(missing?.status, 'fail');
    assert.match(missing?.detail ?? '', /topic t does not exist/);
    assert.equal(created?.status, 'ok');
    assert.match(created?.detail ?? '', /created at start/);
  });
});

describe('renderDoctor', () => {
  const results = [
    { check: 'Pub/Sub topic t', status: 'ok' as const, detail: 'exists', durationMs: 3 },
    {
      check: 'directory /d',
      status: 'fail' as const,
      detail: 'read-only',
      fix: 'make it writable',
      durationMs: 1,
    },
  ];
  test('a table with a fix under each failure and a summary line; --json in snake_case', () => {
    const table = renderDoctor('eventkit-gateway', results, false);
    assert.match(table, /^ok {4}Pub\/Sub topic t {2}exists$/m);
    assert.match(table, /^FAIL {2}directory \/d {5}read-only$/m);
    assert.match(table, /^ +fix: make it writable$/m);
    assert.match(table, /eventkit-gateway doctor: 1 of 2 checks failed/);
    const json = JSON.parse(renderDoctor('eventkit-gateway', results, true));
    assert.equal(json.ok, false);
    assert.equal(json.checks[1].duration_ms, 1);
    assert.equal(json.checks[1].fix, 'make it writable');
  });
});

describe('startupGate', () => {
  test('holds readiness with the failures, re-checks, and lets go once they pass; logs each failing round', async () => {
    let passing = false;
    const held: (string | undefined)[] = [];
    const lines: [string, Record<string, unknown>][] = [];
    const logger = {
      ...silentLogger(),
      warn: (o: Record<string, unknown>, msg: string) => lines.push([msg, o]),
      info: (o: Record<string, unknown>, msg: string) => lines.push([msg, o]),
    } as unknown as Logger;
    const gate = startupGate(
      [
        check('topic', async () => {
          if (!passing) throw new CheckFailure('no such topic', 'create it');
          return { status: 'ok', detail: 'there' };
        }),
      ],
      (why) => held.push(why),
      logger,
      50,
    );
    await sleep(120);
    assert.equal(held[0], 'start-up checks running');
    assert.match(held.at(-1) ?? '', /start-up checks failed: topic: no such topic/);
    assert.ok(lines.filter(([m]) => m === 'startup_checks_failed').length >= 2, 're-checked');
    passing = true;
    await gate.done;
    assert.equal(held.at(-1), undefined, 'ready once they pass');
    assert.equal(lines.at(-1)?.[0], 'startup_checks_passed');
  });

  test('no answer (unreachable, timed out) holds nothing: a gateway restarted during a Pub/Sub outage takes events', async () => {
    const held: (string | undefined)[] = [];
    const lines: string[] = [];
    const logger = {
      ...silentLogger(),
      warn: (_o: unknown, msg: string) => lines.push(msg),
      info: (_o: unknown, msg: string) => lines.push(msg),
    } as unknown as Logger;
    const gate = startupGate(
      [
        check('topic', async () => {
          throw new CheckFailure('Pub/Sub is unreachable', 'check the host', { unreachable: true });
        }),
        check('directory', async () => ({ status: 'ok', detail: 'writable' })),
      ],
      (why) => held.push(why),
      logger,
      50,
    );
    await gate.done;
    assert.deepEqual(held, ['start-up checks running', undefined]);
    assert.deepEqual(lines, ['startup_checks_unverified']);
    const [hung] = await runChecks([check('hangs', () => new Promise(() => {}))], { timeoutMs: 50 });
    assert.equal(hung?.unreachable, true, 'a timeout is no answer too');
  });

  test('stop() ends the re-checking (shutdown)', async () => {
    const gate = startupGate(
      [check('never', async () => ({ status: 'fail', detail: 'no', fix: 'x' }))],
      () => {},
      silentLogger(),
      60_000,
    );
    await sleep(20);
    gate.stop();
    await gate.done;
  });
});
