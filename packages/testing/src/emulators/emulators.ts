// Launchers for the preinstalled Pub/Sub and Firestore emulators: each on a
// free loopback port, in its own process group, ready when GET / answers 200.
import { join } from 'node:path';
import { freeLoopbackPort, type GroupProcess, httpStatus, spawnGroup } from './process-group.ts';
import { gcloudSdkRoot } from './sdk-root.ts';

export interface EmulatorHandle {
  /** `127.0.0.1:PORT`, the value for PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST. */
  readonly host: string;
  readonly port: number;
  /** Pid of the process group leader (= process group id). */
  readonly pid: number;
  /** Stops the whole process group and waits until none of it is left. Idempotent. */
  stop(): Promise<void>;
}

export interface FirestoreEmulatorHandle extends EmulatorHandle {
  /** Deletes every document of the project's (default) database. */
  reset(projectId: string): Promise<void>;
}

export interface EmulatorOptions {
  /** Give up waiting for readiness after this long; default 30 s. */
  readyTimeoutMs?: number;
}

export async function startPubsubEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const bin = join(gcloudSdkRoot(), 'platform/pubsub-emulator/bin/cloud-pubsub-emulator');
  return launch('Pub/Sub emulator', (port) => [bin, '--host=127.0.0.1', `--port=${port}`], options);
}

export async function startFirestoreEmulator(
  options: EmulatorOptions = {},
): Promise<FirestoreEmulatorHandle> {
  const bin = join(gcloudSdkRoot(), 'platform/cloud-firestore-emulator/cloud_firestore_emulator');
  const handle = await launch(
    'Firestore emulator',
    (port) => [bin, 'start', '--host=127.0.0.1', `--port=${port}`],
    options,
  );
  return { ...handle, reset: (projectId) => resetFirestore(handle.host, projectId) };
}

/** Deletes every document of a project in a running Firestore emulator. */
export async function resetFirestore(host: string, projectId: string): Promise<void> {
  const url = `http://${host}/emulator/v1/projects/${encodeURIComponent(projectId)}/databases/(default)/documents`;
  const res = await fetch(url, { method: 'DELETE' });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`Firestore emulator reset of ${projectId} failed: HTTP ${res.status}`);
}

const PORT_ATTEMPTS = 3;

async function launch(
  name: string,
  commandFor: (port: number) => string[],
  options: EmulatorOptions,
): Promise<EmulatorHandle> {
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const [command = '', ...args] = commandFor(port);
    const proc = spawnGroup(command, args);
    try {
      await waitReady(name, proc, port, timeoutMs);
    } catch (err) {
      await proc.stop(1000).catch(() => {});
      // Another process may have taken the port between our probe and the emulator's bind.
      if (attempt < PORT_ATTEMPTS && /address already in use|BindException/i.test(proc.outputTail()))
        continue;
      throw err;
    }
    return { host: `127.0.0.1:${port}`, port, pid: proc.pid, stop: () => proc.stop() };
  }
}

async function waitReady(name: string, proc: GroupProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => {
    exitCode = code;
  });
  const url = `http://127.0.0.1:${port}/`;
  while (true) {
    if ((await httpStatus(url)) === 200) return;
    if (exitCode !== undefined) {
      throw new Error(
        `${name} exited (code ${exitCode}) before it was ready on port ${port}.\n${tail(proc)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`${name} was not ready on port ${port} after ${timeoutMs} ms.\n${tail(proc)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tail(proc: GroupProcess): string {
  const out = proc.outputTail();
  return out ? `Last output:\n${out.split('\n').slice(-15).join('\n')}` : '(no output)';
}
