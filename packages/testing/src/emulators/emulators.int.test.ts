import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventually } from '@eventkit/shared/contracts';
import { Firestore } from '@google-cloud/firestore';
import { type Message, PubSub } from '@google-cloud/pubsub';
import { describe, test } from 'vitest';
import { REPO_ROOT } from '../process/cli-process.ts';
import {
  type EmulatorHandle,
  resetFirestore,
  startFirestoreEmulator,
  startPubsubEmulator,
} from './emulators.ts';
import { groupMembers, httpStatus, processGroupAlive } from './process-group.ts';
import { useEmulators } from './use-emulators.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const VITEST = `${REPO_ROOT}node_modules/vitest/vitest.mjs`;

/** Live (non-zombie) processes, other than this one, whose command line contains `needle`. */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // it ended while we looked
    }
  }
  return found;
}

async function assertLifecycle(emulator: EmulatorHandle): Promise<void> {
  assert.match(emulator.host, /^127\.0\.0\.1:\d+$/);
  assert.equal(emulator.host, `127.0.0.1:${emulator.port}`);
  assert.equal(await httpStatus(`http://${emulator.host}/`), 200);
  const members = groupMembers(emulator.pid);
  assert.ok(
    members.some((m) => readFileSync(`/proc/${m.pid}/cmdline`, 'utf8').includes('java')),
    'a java process runs in the emulator process group',
  );
  await emulator.stop();
  assert.equal(processGroupAlive(emulator.pid), false, 'process group is gone');
  for (const m of members) {
    const alive = groupMembers(emulator.pid).find((x) => x.pid === m.pid);
    assert.ok(!alive || alive.state === 'Z', `pid ${m.pid} is gone`);
  }
  assert.deepEqual(processesMentioning(`--port=${emulator.port}`), []);
  assert.equal(await httpStatus(`http://${emulator.host}/`), 0, 'nothing answers on the port any more');
  await emulator.stop(); // idempotent
}

describe('emulator launchers', { concurrent: true }, () => {
  test('the Pub/Sub emulator starts, answers and stops leaving no process behind', async () => {
    await assertLifecycle(await startPubsubEmulator());
  });

  test('the Firestore emulator starts, answers and stops leaving no process behind', async () => {
    await assertLifecycle(await startFirestoreEmulator());
  });

  test('process groups die with the test process, on a normal exit and on SIGKILL', async () => {
    const run = async (mode: 'exit' | 'wait') => {
      // stderr is piped, not inherited: a fixture that outlived a failed assertion
      // must not hold this file's output open (that kept a CI run waiting 87 min).
      const child = spawn(process.execPath, [fixture('orphan.fixture.ts'), mode], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let pid: number | undefined;
      try {
        const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
        pid = (JSON.parse(line) as { pid: number }).pid;
        const group = pid;
        assert.equal(processGroupAlive(group), true);
        // The shell forks its two sleeps after the pid is printed: wait for them (a busy CI machine is slow).
        await eventually(
          () => groupMembers(group).length >= 3,
          10_000,
          'watchdog, launcher and its forked child',
        );
        if (mode === 'wait') child.kill('SIGKILL');
        else child.stdin.end('exit now\n');
        await once(child, 'exit');
        // exit handler: at once; SIGKILL: the watchdog notices within a second and terminates the group.
        await eventually(
          () => !processGroupAlive(group),
          10_000,
          `process group ${group} to die after ${mode}`,
        );
      } finally {
        // Whatever failed above, nothing this test started outlives it.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        if (pid !== undefined && processGroupAlive(pid)) process.kill(-pid, 'SIGKILL');
      }
    };
    await Promise.all([run('exit'), run('wait')]);
  });

  test('the global setup hands the hosts to test files and stops the emulators at teardown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventkit-global-setup-'));
    try {
      const out = join(dir, 'hosts.json');
      const env: NodeJS.ProcessEnv = { ...process.env, EVENTKIT_FIXTURE_OUT: out };
      // This file's process carries the run's hosts and vitest's worker variables; the nested run must start clean.
      for (const key of Object.keys(env)) {
        if (key.startsWith('VITEST') || key.endsWith('_EMULATOR_HOST') || key === 'EVENTKIT_TEST_EMULATORS') {
          delete env[key];
        }
      }
      const child = spawn(
        process.execPath,
        [VITEST, 'run', '--root', REPO_ROOT, '--config', fixture('global-env.vitest.config.ts')],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d) => {
        output += d;
      });
      child.stderr.on('data', (d) => {
        output += d;
      });
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0, output);
      const hosts = JSON.parse(readFileSync(out, 'utf8')) as {
        pubsub: string;
        firestore: string;
        ppid: number;
      };
      assert.equal(hosts.ppid, child.pid, 'the fixture ran in its own process, a child of the runner');
      for (const host of [hosts.pubsub, hosts.firestore]) {
        assert.equal(
          await httpStatus(`http://${host}/`),
          0,
          `${host} was stopped by the global setup's teardown`,
        );
        assert.deepEqual(processesMentioning(`--port=${host.split(':')[1]}`), []);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const { pubsubHost, firestoreHost } = await useEmulators();

describe('emulators through the real clients', () => {
  test('useEmulators exposes the hosts in the environment too', () => {
    assert.equal(process.env.PUBSUB_EMULATOR_HOST, pubsubHost);
    assert.equal(process.env.FIRESTORE_EMULATOR_HOST, firestoreHost);
  });

  test('publish and pull one message through @google-cloud/pubsub', async () => {
    const pubsub = new PubSub({ projectId: 'eventkit-test', apiEndpoint: pubsubHost });
    const name = `t-${randomUUID()}`;
    try {
      const [topic] = await pubsub.createTopic(name);
      const [subscription] = await topic.createSubscription(`${name}-sub`);
      const received = new Promise<Message>((resolve, reject) => {
        subscription.on('message', (m: Message) => {
          m.ack();
          resolve(m);
        });
        subscription.on('error', reject);
      });
      const id = await topic.publishMessage({
        data: Buffer.from('{"hello":"world"}'),
        attributes: { stream: 'events' },
      });
      const message = await received;
      assert.equal(message.id, id);
      assert.equal(message.data.toString(), '{"hello":"world"}');
      assert.deepEqual(message.attributes, { stream: 'events' });
      await subscription.close();
    } finally {
      await pubsub.close();
    }
  });

  test('write and read a document through @google-cloud/firestore, then reset the project', async () => {
    const projectId = `eventkit-test-${randomUUID().slice(0, 8)}`;
    const db = new Firestore({ projectId, host: firestoreHost, ssl: false });
    try {
      const ref = db.doc('streams/events/events/web:m-1');
      await ref.set({ type: 'track', n: 1 });
      const snap = await ref.get();
      assert.equal(snap.exists, true);
      assert.deepEqual(snap.data(), { type: 'track', n: 1 });
      await resetFirestore(firestoreHost, projectId);
      assert.equal((await ref.get()).exists, false, 'reset deleted the document');
    } finally {
      await db.terminate();
    }
  });
});
