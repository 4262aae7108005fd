// Where the Google Cloud SDK is installed; the emulators live under
// `platform/`. Asking gcloud takes about a second, so the answer is cached in
// this process and in a file under the OS temp directory.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHE_FILE = join(tmpdir(), 'eventkit-gcloud-sdk-root');
let cached: string | undefined;

export function gcloudSdkRoot(): string {
  if (cached) return cached;
  try {
    const fromFile = readFileSync(CACHE_FILE, 'utf8').trim();
    if (fromFile && existsSync(join(fromFile, 'platform'))) {
      cached = fromFile;
      return cached;
    }
  } catch {
    // no cache yet
  }
  let root: string;
  try {
    root = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    }).trim();
  } catch (err) {
    throw new Error(`cannot find the Google Cloud SDK: \`gcloud info\` failed (${(err as Error).message})`);
  }
  if (!root || !existsSync(join(root, 'platform'))) {
    throw new Error(`\`gcloud info\` reported SDK root "${root}", which has no platform/ folder`);
  }
  try {
    writeFileSync(CACHE_FILE, root);
  } catch {
    // the cache is an optimisation only
  }
  cached = root;
  return root;
}
