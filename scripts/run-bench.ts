// `make bench`: runs every package's benchmarks one after another (never in
// parallel: they measure this machine) and prints their results.
//   node scripts/run-bench.ts [filter...]
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const benches = globSync('packages/*/bench/*.bench.ts', { cwd: root })
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (benches.length === 0) {
  console.error('no benchmark matched');
  process.exit(1);
}
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  const res = spawnSync(process.execPath, [bench], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      METADATA_SERVER_DETECTION: 'none',
      EVENTKIT_LOG_LEVEL: process.env.EVENTKIT_LOG_LEVEL ?? 'warn',
    },
  });
  if (res.status !== 0) {
    console.error(`${bench} failed (exit ${res.status ?? res.signal})`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
