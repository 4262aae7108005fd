// The images' sources as JavaScript (scripts/strip-types.ts at build time,
// packages/shared/src/process/typescript-stripped.mjs at run time): the real
// event module, stripped, runs without Node's type stripper ever loading (in
// the main thread and in a worker thread, as the gateway's WAL thread), keeps
// its line numbers, and a file the build missed still runs as TypeScript.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { STRIPPED_MARK, stripFile, stripFolders } from '../../../../scripts/strip-types.ts';
import { REPO } from './code-facts.ts';

const HOOK = path.join(REPO, 'packages/shared/src/process/typescript-stripped.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of shared's event module (and what it imports) in a fresh folder, optionally stripped. */
async function copyOfShared(strip: boolean): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eventkit-strip-'));
  dirs.push(dir);
  cpSync(path.join(REPO, 'packages/shared/src'), path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  // Its dependencies (zod, …) as the package itself sees them.
  symlinkSync(path.join(REPO, 'packages/shared/node_modules'), path.join(dir, 'node_modules'));
  if (strip) await stripFolders([path.join(dir, 'src')]);
  return dir;
}

/** Runs ESM code (as main.mjs) in a child Node with the hook, in the given folder; returns what it printed. */
function run(dir: string, code: string): string {
  writeFileSync(path.join(dir, 'main.mjs'), code);
  return execFileSync(process.execPath, [`--import=${HOOK}`, 'main.mjs'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  }).trim();
}

const VALIDATE_AND_REPORT = `
  const { validateEvent } = await import('./src/event/index.ts');
  const ok = validateEvent({ type: 'track', event: 'Signed Up', userId: 'u1' }).ok;
  const amaro = process.moduleLoadList.some((m) => m.includes('amaro'));
  console.log(JSON.stringify({ ok, amaro }));`;

describe('sources stripped for the images', () => {
  test('stripped: the real event module validates an event and Node never loads its type stripper', async () => {
    const dir = await copyOfShared(true);
    assert.deepEqual(JSON.parse(run(dir, VALIDATE_AND_REPORT)), { ok: true, amaro: false });
  });

  test('not stripped (a file the build missed): the hook hands it to Node as TypeScript, and it runs', async () => {
    const dir = await copyOfShared(false);
    assert.deepEqual(JSON.parse(run(dir, VALIDATE_AND_REPORT)), { ok: true, amaro: true });
  });

  test('a worker thread inherits the hook (the gateway WAL thread)', async () => {
    const dir = await copyOfShared(true);
    writeFileSync(
      path.join(dir, 'src/thread.ts'),
      stripFile(
        "import { parentPort } from 'node:worker_threads';\nimport { validateEvent } from './event/index.ts';\nconst ok: boolean = validateEvent({ type: 'track', event: 'Opened', userId: 'u2' }).ok;\nparentPort!.postMessage({ ok, amaro: process.moduleLoadList.some((m) => m.includes('amaro')) });\n",
      ),
    );
    const code = `
      const { Worker } = await import('node:worker_threads');
      const w = new Worker(new URL('./src/thread.ts', import.meta.url));
      w.once('message', (m) => { console.log(JSON.stringify(m)); void w.terminate(); });`;
    assert.deepEqual(JSON.parse(run(dir, code)), { ok: true, amaro: false });
  });

  test('lines and columns stay those of the source; stripping twice changes nothing', () => {
    const source =
      'interface Shape {\n  side: number;\n}\nexport function area(s: Shape): number {\n  throw new Error(String(s.side));\n}\n';
    const stripped = stripFile(source);
    assert.equal(stripFile(stripped), stripped);
    assert.ok(stripped.trimEnd().endsWith(STRIPPED_MARK));
    const at = (text: string) => text.split('\n').findIndex((l) => l.includes('throw new Error'));
    assert.equal(at(stripped), at(source));
    assert.equal(
      stripped.split('\n')[at(source)]!.indexOf('throw'),
      source.split('\n')[at(source)]!.indexOf('throw'),
    );
    assert.doesNotMatch(stripped, /interface|: number|: Shape/);
  });

  test('every image strips its sources and loads them through the hook', () => {
    for (const role of ['gateway', 'worker', 'loader']) {
      const dockerfile = readFileSync(path.join(REPO, `Dockerfile.${role}`), 'utf8');
      assert.match(
        dockerfile,
        new RegExp(
          `^RUN node --no-warnings scripts/strip-types\\.ts packages/shared/src packages/${role}/src$`,
          'm',
        ),
      );
      assert.match(
        dockerfile,
        new RegExp(`^COPY --from=sources /app/packages/${role}/src packages/${role}/src$`, 'm'),
      );
      assert.match(
        dockerfile,
        /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "--import=\/app\/packages\/shared\/src\/process\/typescript-stripped\.mjs", /m,
      );
    }
  });
});
