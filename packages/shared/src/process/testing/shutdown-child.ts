// Test fixture, run as a child process by process/shutdown.test.ts: installs
// onShutdown with a drain shaped by the environment, says `ready` on stdout,
// and stays alive until the drain (or a forced exit) ends it. Every log line
// is JSON on stdout; the drain writes `drain_started` each time it runs.
//   DRAIN       ok (default) | hang | fail
//   DRAIN_MS    how long an ok drain takes (default 0)
//   EXIT_CODE   the exit code an ok drain reports (default 0)
//   TIMEOUT_MS  onShutdown's timeout (default 10000)
//   BEGIN       call begin(BEGIN) right after `ready` instead of waiting for a signal
//   DISPOSE     1: call dispose() right after `ready`
import { createLogger } from '../../logging/logger.ts';
import { onShutdown } from '../shutdown.ts';

const env = process.env;
const logger = createLogger({ level: 'info', json: true, name: 'shutdown-child', destination: 1 });
const shutdown = onShutdown(logger, { timeoutMs: Number(env.TIMEOUT_MS ?? 10_000) }, async (reason) => {
  process.stdout.write(`${JSON.stringify({ message: 'drain_started', reason })}\n`);
  if (env.DRAIN === 'hang') await new Promise(() => {});
  if (env.DRAIN === 'fail') throw new Error('the drain broke');
  await new Promise((resolve) => setTimeout(resolve, Number(env.DRAIN_MS ?? 0)));
  return { exitCode: Number(env.EXIT_CODE ?? 0), report: { remaining: 0 } };
});
// Keeps the process alive, as a server or a subscription would.
const keepAlive = setInterval(() => {}, 60_000);
process.stdout.write('ready\n');
if (env.BEGIN) shutdown.begin(env.BEGIN);
if (env.DISPOSE === '1') {
  shutdown.dispose();
  process.stdout.write('disposed\n');
}
void keepAlive;
