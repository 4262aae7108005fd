// The WAL's disk full: the gateway's data directory is a 32 MB ext4 image of
// its own, loop-mounted (as root). Under load, a filler file takes every free
// block for 15 s; then it is deleted. An acknowledgement must still mean the
// event is in the WAL; afterwards the gateway must serve again (restarted by
// the runner, as a liveness probe would, if its /health fails).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import type { Pipeline } from '../pipeline.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

function mountImage(img: string, mnt: string): void {
  mkdirSync(mnt, { recursive: true });
  execFileSync('truncate', ['-s', '32M', img]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', img]);
  execFileSync('mount', ['-o', 'loop', img, mnt]);
}

function unmount(mnt: string): void {
  try {
    execFileSync('umount', [mnt]);
  } catch {
    try {
      execFileSync('umount', ['-l', mnt]);
    } catch {}
  }
}

/** Writes until ENOSPC, in 1 MiB then 4 KiB pieces; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    for (const size of [1 << 20, 4096, 512]) {
      const chunk = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          total += writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

async function healthStatus(url: string, path = '/health'): Promise<number> {
  try {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export const diskFull: Scenario = {
  name: 'disk-full',
  fault:
    "the WAL's filesystem (32 MB ext4 image, loop-mounted) filled to the last block for 15 s under load, then freed",
  async run(ctx) {
    const startedAt = Date.now();
    const img = join(ctx.dir, 'walfs.img');
    const mnt = join(ctx.dir, 'walfs');
    try {
      mountImage(img, mnt);
    } catch (err) {
      throw new Error(
        `cannot loop-mount a small filesystem here (needs root and a loop device): ${(err as Error).message}`,
      );
    }
    let pipeline: Pipeline | undefined;
    try {
      pipeline = pipelineFor(ctx, this.name, {
        pubsubHost: ctx.pubsubHost,
        gatewayDataDir: () => join(mnt, 'gateway-0'),
      });
      await pipeline.start();
      const url = pipeline.urls()[0] ?? '';
      const load = new Load(this.name);
      const sending = load.run([load.client(url)], 100, 28_000);
      await sleep(5000);
      const filler = join(mnt, 'filler');
      const filled = fill(filler);
      ctx.say(`disk-full: filled ${(filled / 1048576).toFixed(1)} MiB`);
      const health: Record<string, number> = {};
      const ready: Record<string, number> = {};
      for (let i = 0; i < 15; i++) {
        const s = await healthStatus(url);
        health[s] = (health[s] ?? 0) + 1;
        const r = await healthStatus(url, '/ready');
        ready[r] = (ready[r] ?? 0) + 1;
        await sleep(1000);
      }
      const exitedDuringFault = pipeline.gateways[0]?.proc?.exited() ?? false;
      rmSync(filler);
      const notes = [
        `filler took ${(filled / 1048576).toFixed(1)} MiB; /health during the fault: ${JSON.stringify(health)}, /ready: ${JSON.stringify(ready)}`,
        `gateway ${exitedDuringFault ? `exited during the fault (code ${pipeline.gateways[0]?.proc?.exitCode()})` : 'stayed up'}`,
      ];
      let healthy = false;
      for (let i = 0; i < 10 && !exitedDuringFault; i++) {
        if ((await healthStatus(url)) === 200) {
          healthy = true;
          break;
        }
        await sleep(500);
      }
      if (!healthy) {
        await pipeline.gateways[0]?.proc?.kill9();
        await pipeline.startGateway(0);
        notes.push(
          '/health did not answer 200 within 5 s of freeing space: the runner restarted the gateway',
        );
      } else {
        notes.push('/health answered 200 again after space was freed, without a restart');
      }
      return await finish(this, { pipeline, load, sending, startedAt, notes });
    } finally {
      // Nothing may hold the mount when it goes.
      await pipeline?.killAll();
      unmount(mnt);
    }
  },
};
