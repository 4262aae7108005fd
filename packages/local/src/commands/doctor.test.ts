// `eventkit-dev doctor` through the real CLI: a usable data directory passes
// (exit 0); a data directory that is a file fails naming EVENTKIT_DATA_DIR
// (exit 1), in the table and in --json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const doctor = (args: string[]) => {
  const res = spawnSync(process.execPath, [CLI, 'doctor', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, out: res.stdout, err: res.stderr };
};

describe('eventkit-dev doctor', () => {
  test('a writable data directory passes; a file in its place fails with the setting to change', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eventkit-dev-doctor-'));
    const ok = doctor(['--data-dir', dir]);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, new RegExp(`^ok {4}directory ${dir} +writable, \\d+ MiB free$`, 'm'));
    assert.match(ok.out, /eventkit-dev doctor: the check passed/);

    const file = path.join(dir, 'file');
    await writeFile(file, 'x');
    const broken = doctor(['--data-dir', file, '--json']);
    assert.equal(broken.code, 1, broken.out + broken.err);
    const doc = JSON.parse(broken.out) as {
      ok: boolean;
      checks: { status: string; detail: string; fix: string }[];
    };
    assert.equal(doc.ok, false);
    assert.equal(doc.checks[0]?.status, 'fail');
    assert.match(doc.checks[0]?.detail ?? '', /is a file, not a directory/);
    assert.match(doc.checks[0]?.fix ?? '', /EVENTKIT_DATA_DIR/);
  });
});
