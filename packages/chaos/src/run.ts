// `make chaos`: the real gateway, worker and loader executables under faults,
// one scenario at a time, against the Pub/Sub emulator (through a TCP proxy),
// the fake GCS server and a DuckDB warehouse. Loopback only; every loop is
// bounded; children are stopped by process group id.
//
//   node packages/chaos/src/run.ts [scenario ...]
//
// With no names it runs every scenario and writes packages/chaos/results/latest.{json,md}
// and the README's Reliability table; with names, only those (results in the run directory).
// Exit code: 0 when every scenario passed, 1 otherwise.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeGcs, startFirestoreEmulator, startPubsubEmulator } from '@eventkit/testing';
import type { ChaosContext, Scenario } from './context.ts';
import { CANARY_PATTERNS } from './load.ts';
import type { ScenarioResult } from './measure.ts';
import { allPipelines, BUCKET, PROJECT } from './pipeline.ts';
import { LogBook } from './proc.ts';
import { startTcpProxy } from './proxy.ts';
import { type LogScan, markdownReport, type RunReport, updateReadme, writeResults } from './report.ts';
import { diskFull } from './scenarios/disk-full.ts';
import { gatewayKill } from './scenarios/gateway-kill.ts';
import { hostile } from './scenarios/hostile.ts';
import { loaderKill } from './scenarios/loader-kill.ts';
import { overload } from './scenarios/overload.ts';
import { pubsubOutage } from './scenarios/pubsub-outage.ts';
import { sinkFaults } from './scenarios/sink-faults.ts';
import { workerKill } from './scenarios/worker-kill.ts';
import { workerKillFirestore } from './scenarios/worker-kill-firestore.ts';

const SCENARIOS: Scenario[] = [
  gatewayKill,
  workerKill,
  workerKillFirestore,
  loaderKill,
  pubsubOutage,
  sinkFaults,
  overload,
  diskFull,
  hostile,
];

const say = (line: string) => console.log(`chaos: ${line}`);
process.setMaxListeners(200);
// The runner's own Google clients (Firestore, to count documents) talk to emulators only.
process.env.METADATA_SERVER_DETECTION = 'none';

async function main(): Promise<number> {
  const started = new Date();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(
      `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    return 2;
  }
  const chosen = wanted.length > 0 ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
  const runDir = mkdtempSync(join(tmpdir(), 'eventkit-chaos-'));
  const book = new LogBook(join(runDir, 'logs'));
  say(`run directory ${runDir}`);

  const [pubsub, firestore] = await Promise.all([
    startPubsubEmulator({ readyTimeoutMs: 60_000 }),
    startFirestoreEmulator({ readyTimeoutMs: 60_000 }),
  ]);
  const [pubsubPort] = [pubsub.port];
  const proxy = await startTcpProxy('127.0.0.1', pubsubPort);
  const gcs = await startFakeGcs({ projectId: PROJECT });
  gcs.createBucket(BUCKET);
  say(
    `Pub/Sub emulator ${pubsub.host} (proxy ${proxy.host}), Firestore emulator ${firestore.host}, fake GCS ${gcs.url}`,
  );

  const results: ScenarioResult[] = [];
  try {
    for (const s of chosen) {
      const dir = join(runDir, s.name);
      mkdirSync(dir, { recursive: true });
      proxy.up();
      gcs.faults.clear();
      const ctx: ChaosContext = {
        dir,
        book,
        pubsubHost: pubsub.host,
        firestoreHost: firestore.host,
        proxy,
        gcs,
        say,
      };
      say(`── ${s.name}: ${s.fault}`);
      const t = Date.now();
      let r: ScenarioResult;
      try {
        r = await s.run(ctx);
      } catch (err) {
        r = crashed(s, err, t);
      } finally {
        for (const p of allPipelines.splice(0)) await p.killAll();
      }
      results.push(r);
      say(
        `${s.name}: ${r.ok ? 'pass' : 'FAIL'} — acknowledged ${r.acknowledged}, landed ${r.landed}, missing ${r.missing}, duplicated ${r.duplicated}, stuck ${r.stuck}, recover ${r.recover_s ?? '—'} s, http ${JSON.stringify(r.http)} (${r.seconds} s)`,
      );
      for (const n of r.notes) say(`  ${n}`);
    }
  } finally {
    await proxy.close();
    await gcs.close();
    await pubsub.stop();
    await firestore.stop();
  }

  const scan = scanLogs(book);
  const report: RunReport = {
    started_at: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: `${cpus().length} cores`,
    scenarios: results,
    log_scan: scan,
  };
  say(`log scan: ${scan.lines} lines in ${scan.files} logs, ${scan.leaks} with a canary`);
  for (const e of scan.examples) say(`  leak: ${e}`);
  const resultsDir = wanted.length === 0 ? new URL('../results/', import.meta.url).pathname : runDir;
  mkdirSync(resultsDir, { recursive: true });
  writeResults(resultsDir, report);
  if (wanted.length === 0 && updateReadme(report)) say('README Reliability table updated');
  console.log(`\n${markdownReport(report)}`);
  say(`results in ${resultsDir}; logs in ${book.dir}; ${report.seconds} s`);
  return results.every((r) => r.ok) && scan.leaks === 0 ? 0 : 1;
}

function crashed(s: Scenario, err: unknown, t: number): ScenarioResult {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return {
    scenario: s.name,
    fault: s.fault,
    acknowledged: 0,
    client_gave_up: 0,
    landed: 0,
    missing: 0,
    duplicated: 0,
    stuck: 0,
    recover_s: null,
    http: {},
    landed_unacknowledged: 0,
    wal_pending_after: [],
    notes: [`FAIL: the scenario could not run: ${message}`],
    ok: false,
    seconds: Math.round((Date.now() - t) / 1000),
  };
}

/** Every line every process wrote: none may hold a canary. */
function scanLogs(book: LogBook): LogScan {
  let lines = 0;
  let leaks = 0;
  const examples: string[] = [];
  for (const file of book.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      lines++;
      const hit = CANARY_PATTERNS.find((p) => line.includes(p));
      if (!hit) continue;
      leaks++;
      if (examples.length < 5) examples.push(`${file.split('/').pop()}: ${line.slice(0, 300)}`);
    }
  }
  return { files: book.files.length, lines, leaks, examples };
}

process.exitCode = await main();
