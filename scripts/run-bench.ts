// `make bench`: runs every package's benchmarks one after another (never in
// parallel: they measure this machine), each writing its figures to a file
// (EVENTKIT_BENCH_OUT), then, when every benchmark ran, writes
// bench/results/latest.{json,md}, the SVG charts beside them, and the
// README's Performance table.
//   node scripts/run-bench.ts [filter...]   (with a filter: prints only)
//   node scripts/run-bench.ts --render      (charts and README again from bench/results/latest.json)
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchReport, type BenchRun, charts, markdown, updateReadme } from './bench/report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
if (filters[0] === '--render') {
  const run = JSON.parse(
    readFileSync(path.join(root, 'bench', 'results', 'latest.json'), 'utf8'),
  ) as BenchRun;
  await publish(run);
  process.exit(0);
}
const benches = globSync('packages/*/bench/*.bench.ts', { cwd: root })
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (benches.length === 0) {
  console.error('no benchmark matched');
  process.exit(1);
}
const started = Date.now();
const loadBefore = os.loadavg();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'eventkit-bench-'));
const reports: BenchReport[] = [];
const failed: string[] = [];
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  const out = path.join(tmp, `${path.basename(bench, '.bench.ts')}.json`);
  const res = spawnSync(process.execPath, [bench], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      METADATA_SERVER_DETECTION: 'none',
      EVENTKIT_LOG_LEVEL: process.env.EVENTKIT_LOG_LEVEL ?? 'warn',
      EVENTKIT_BENCH_OUT: out,
    },
  });
  if (res.status !== 0) {
    console.error(`${bench} failed (exit ${res.status ?? res.signal})`);
    failed.push(bench);
  }
  if (existsSync(out)) reports.push(JSON.parse(readFileSync(out, 'utf8')) as BenchReport);
  else if (res.status === 0) console.error(`${bench} wrote no figures (EVENTKIT_BENCH_OUT)`);
}

const cpus = os.cpus();
const run: BenchRun = {
  at: new Date().toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  machine: {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    load_before: loadBefore,
  },
  command: 'make bench',
  benches: reports,
  failed,
};
if (filters.length > 0) {
  console.log(
    `\n${markdown(run)}\n(a filtered run: bench/results and the README are left as they were; figures in ${tmp})`,
  );
} else {
  await publish(run);
}
process.exit(failed.length > 0 ? 1 : 0);

/** bench/results/latest.{json,md}, the charts, and the README's Performance table. */
async function publish(run: BenchRun): Promise<void> {
  const summary = markdown(run);
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(path.join(dir, 'latest.md'), `# make bench — ${run.at}\n\n${summary}`);
  const images = await charts(run);
  for (const c of images) writeFileSync(path.join(dir, c.file), c.svg);
  const links = images.map((c) => `![${c.file}](bench/results/${c.file})`).join('\n\n');
  updateReadme(path.join(root, 'README.md'), `${summary}\n${links}\n`);
  console.log(
    `\n${summary}\nbench: results in bench/results/ (${images.map((c) => c.file).join(', ')}), README updated`,
  );
}
