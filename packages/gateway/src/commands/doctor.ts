// `eventkit-gateway doctor`: the gateway's dependencies checked with the
// permission it needs (startup-checks.ts), a table or --json, exit 1 on a failure.
import { addSettingOptions, loadCommandConfig } from '@eventkit/shared/cli';
import type { Flags, SettingPart } from '@eventkit/shared/config';
import { runDoctor } from '@eventkit/shared/doctor';
import { openPubSub } from '@eventkit/shared/pubsub';
import type { Command } from 'commander';
import { gatewayChecks } from '../startup-checks.ts';

const PARTS: readonly SettingPart[] = ['logging', 'walFile', 'walUpkeep', 'pubsub'];

export function configureDoctorCommand(program: Command): Command {
  const command = program
    .command('doctor')
    .description(
      "Check the gateway's dependencies: the WAL directory (writable, free space) and the Pub/Sub topic (exists, may publish). Exit 1 when a check fails.",
    )
    .option('--json', 'one JSON object: { role, ok, checks: [{ check, status, detail, fix }] }');
  return addSettingOptions(command, 'gateway', PARTS).action(async (flags: Flags & { json?: boolean }) => {
    const { config } = loadCommandConfig('gateway', process.env, flags, {
      name: 'eventkit-gateway',
      parts: PARTS,
      logsTo: 2,
    });
    const pubsub = openPubSub(config);
    try {
      await runDoctor('eventkit-gateway', gatewayChecks(config, pubsub.pubsub), Boolean(flags.json));
    } finally {
      await pubsub.close();
    }
  });
}
