// `make cloud-check` cannot reach Google Cloud from this machine; what can be
// shown here is that it refuses to start, clearly and before creating
// anything, when the project, the bucket or the credentials are missing, or
// when an emulator variable would point a client away from the real service.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, test } from 'vitest';
import { targetFromEnv } from './preflight.ts';

const script = fileURLToPath(new URL('./run.ts', import.meta.url));
// A home without gcloud's application-default credentials file.
const home = mkdtempSync(join(tmpdir(), 'cloud-check-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function runCheck(env: Record<string, string>) {
  const res = spawnSync(process.execPath, [script], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      CLOUDSDK_CONFIG: join(home, 'gcloud'),
      METADATA_SERVER_DETECTION: 'none',
      ...env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stderr: res.stderr, stdout: res.stdout };
}

describe('make cloud-check without a project', () => {
  test('no GCP_PROJECT_ID / GCP_GCS_BUCKET: exit 2 naming both, nothing else printed', () => {
    const { code, stderr, stdout } = runCheck({});
    assert.equal(code, 2, stderr);
    assert.match(stderr, /cannot start: .*GCP_PROJECT_ID and GCP_GCS_BUCKET/);
    assert.equal(stdout, '', 'nothing was created, so nothing is reported as created or deleted');
  });

  test('project and bucket but no application-default credentials: exit 2 with the gcloud command to fix it', () => {
    const { code, stderr } = runCheck({ GCP_PROJECT_ID: 'some-project', GCP_GCS_BUCKET: 'some-bucket' });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /no usable application-default credentials/);
    assert.match(stderr, /gcloud auth application-default login/);
  });

  test('an emulator variable is refused: the check is about the real services', () => {
    assert.throws(
      () =>
        targetFromEnv({ GCP_PROJECT_ID: 'p', GCP_GCS_BUCKET: 'b', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }),
      /PUBSUB_EMULATOR_HOST is set/,
    );
    assert.deepEqual(
      targetFromEnv({ GCP_PROJECT_ID: 'p', GCP_GCS_BUCKET: 'b', GCP_BIGQUERY_LOCATION: 'EU' }),
      {
        projectId: 'p',
        bucket: 'b',
        location: 'EU',
      },
    );
  });
});
