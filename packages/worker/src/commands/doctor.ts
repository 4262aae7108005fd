// `eventkit-worker doctor`: the worker's dependencies checked with the
// permission it needs (startup-checks.ts), a table or --json, exit 1 on a failure.
import { addSettingOptions, loadCommandConfig } from '@eventkit/shared/cli';
import type { Flags, SettingPart } from '@eventkit/shared/config';
import { runDoctor } from '@eventkit/shared/doctor';
import { openPubSub } from '@eventkit/shared/pubsub';
import type { Command } from 'commander';
import { workerChecks } from '../startup-checks.ts';

const PARTS: readonly SettingPart[] = ['logging', 'pubsub', 'subscription', 'eventStore', 'workerId'];

export function configureDoctorCommand(program: Command): Command {
  const command = program
    .command('doctor')
    .description(
      "Check the worker's dependencies: the subscription (exists, may consume) and the event store (a probe object written, read back and deleted; Firestore read). Exit 1 when a check fails.",
    )
    .option('--json', 'one JSON object: { role, ok, checks: [{ check, status, detail, fix }] }');
  return addSettingOptions(command, 'worker', PARTS).action(async (flags: Flags & { json?: boolean }) => {
    const { config } = loadCommandConfig('worker', process.env, flags, {
      name: 'eventkit-worker',
      parts: PARTS,
      logsTo: 2,
    });
    const pubsub = openPubSub(config);
    const { checks, close } = await workerChecks(config, pubsub.pubsub);
    try {
      await runDoctor('eventkit-worker', checks, Boolean(flags.json));
    } finally {
      await Promise.allSettled([close(), pubsub.close()]);
    }
  });
}
