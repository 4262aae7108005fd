// `eventkit-dev doctor`: what the local mode needs, checked — the data
// directory (writable, room for the WAL, the files and DuckDB), and with
// EVENTKIT_QUEUE_MODE=pubsub the topic and subscription. A table or --json,
// exit 1 on a failure.
import { addSettingOptions } from '@eventkit/shared/cli';
import { type Flags, loadDevConfig } from '@eventkit/shared/config';
import { type Check, directoryCheck, runDoctor } from '@eventkit/shared/doctor';
import { openPubSub, subscriptionCheck, topicCheck } from '@eventkit/shared/pubsub';
import type { Command } from 'commander';
import { DEV_PARTS } from './dev.ts';

/** Free space the local mode's data directory should have. */
export const MIN_FREE_BYTES_DEV = 1024 * 1024 * 1024;

export function configureDoctorCommand(program: Command): Command {
  const command = program
    .command('doctor')
    .description(
      'Check what the local mode needs: the data directory (writable, free space) and, with EVENTKIT_QUEUE_MODE=pubsub, the topic and subscription. Exit 1 when a check fails.',
    )
    .option('--json', 'one JSON object: { role, ok, checks: [{ check, status, detail, fix }] }');
  return addSettingOptions(command, 'dev', DEV_PARTS).action(async (flags: Flags & { json?: boolean }) => {
    const { config } = loadDevConfig(process.env, flags, DEV_PARTS);
    const checks: Check[] = [
      directoryCheck(config.dataDir, { setting: 'EVENTKIT_DATA_DIR', minFreeBytes: MIN_FREE_BYTES_DEV }),
    ];
    const pubsub = config.queueMode === 'pubsub' ? openPubSub(config) : undefined;
    if (pubsub) {
      const create = { create: config.pubsubCreate };
      checks.push(topicCheck(pubsub.pubsub, config.pubsubTopic, create));
      checks.push(subscriptionCheck(pubsub.pubsub, config.pubsubSubscription, create));
    }
    try {
      await runDoctor('eventkit-dev', checks, Boolean(flags.json));
    } finally {
      await pubsub?.close();
    }
  });
}
