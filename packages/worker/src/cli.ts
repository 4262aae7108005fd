#!/usr/bin/env node
// eventkit-worker: the command line of the worker, and its composition root: the only
// place that reads process.env and process.argv.
//
//   eventkit-worker run                               consume, write, dead-letter (main.ts)
//   eventkit-worker dlq list   [--since] [--type] [--json]
//   eventkit-worker dlq replay [--since] [--type] [--dry-run] [--again]
//   eventkit-worker config                            check and print the configuration
//
// Every setting is also a flag (flags override the environment).
import {
  addConfigCommand,
  addSettingOptions,
  CliError,
  createProgram,
  type Flags,
  loadWorkerConfig,
  logConfigWarnings,
  loggerFor,
  runCli,
} from '@eventkit/shared';
import { openPubSub } from '@eventkit/shared/pubsub';
import type { Command } from 'commander';
import { formatSummary, summarize } from './dlq/list.ts';
import { replayDeadLetters } from './dlq/replay.ts';
import { parseSince } from './dlq/since.ts';
import { run } from './main.ts';
import { createStores } from './stores.ts';
import { VERSION } from './version.ts';

const program = createProgram({
  name: 'eventkit-worker',
  version: VERSION,
  description:
    'eventkit worker: pulls events from Pub/Sub and writes them to GCS (Parquet), Firestore or local files; invalid ones go to the dead-letter store.',
});

addSettingOptions(
  program
    .command('run')
    .description(
      'Consume the subscription: validate, batch per partition, write to the event store; dead-letter what cannot be stored. Drains on SIGTERM.',
    ),
  'worker',
).action(async (flags: Flags) => {
  const { config, warnings } = loadWorkerConfig(process.env, flags);
  await run(config, warnings);
});

interface DlqFlags extends Flags {
  since?: string;
  type?: string;
  json?: boolean;
  dryRun?: boolean;
  again?: boolean;
}

function dlqFilter(flags: DlqFlags) {
  if (flags.type !== undefined && flags.type !== 'validation' && flags.type !== 'processing') {
    throw new CliError(`--type: expected validation or processing, got "${flags.type}"`, 2);
  }
  return {
    ...(flags.since ? { since: parseSince(flags.since) } : {}),
    ...(flags.type ? { errorType: flags.type as 'validation' | 'processing' } : {}),
  };
}

function dlqCommand(parent: Command, name: string, description: string): Command {
  const cmd = parent
    .command(name)
    .description(description)
    .option(
      '--since <time>',
      'only letters that failed at or after this time: ISO date/time, or 30m, 24h, 7d',
    )
    .option('--type <type>', 'only validation or processing errors');
  return addSettingOptions(cmd, 'worker');
}

const dlq = program
  .command('dlq')
  .description('Inspect and replay the dead-letter store of the configured event store.');

dlqCommand(dlq, 'list', 'Count dead letters by type, reason code, stream and source (never payload values).')
  .option('--json', 'print the summary as JSON')
  .action(async (flags: DlqFlags) => {
    const filter = dlqFilter(flags);
    const { config, warnings } = loadWorkerConfig(process.env, flags);
    logConfigWarnings(loggerFor(config, 'worker', 2), warnings);
    const stores = await createStores(config, { events: false });
    try {
      const summary = await summarize(stores.deadLetters.scan(filter));
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    } finally {
      await stores.close();
    }
  });

dlqCommand(
  dlq,
  'replay',
  'Re-publish dead-lettered events (and raw envelopes that decode now) to the topic, keeping their messageId, so the fixed pipeline processes them without creating duplicates. Letters already replayed are skipped.',
)
  .option('--dry-run', 'count what would be replayed; publish nothing')
  .option('--again', 'also replay letters a previous replay already re-published')
  .option('--json', 'print the result as JSON')
  .action(async (flags: DlqFlags) => {
    const filter = dlqFilter(flags);
    const { config, warnings } = loadWorkerConfig(process.env, flags);
    const logger = loggerFor(config, 'worker', 2);
    logConfigWarnings(logger, warnings);
    const stores = await createStores(config, { events: false });
    const pubsub = flags.dryRun ? undefined : openPubSub(config);
    try {
      const publisher = pubsub ? await pubsub.publisher() : undefined;
      const summary = await replayDeadLetters({
        store: stores.deadLetters,
        ledger: stores.deadLetters,
        ...(publisher ? { publisher } : {}),
        filter,
        dryRun: flags.dryRun ?? false,
        again: flags.again ?? false,
        logger,
      });
      await publisher?.close();
      const verb = summary.dryRun ? 'would replay' : 'replayed';
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(summary, null, 2)}\n`
          : `${summary.matched} matching dead letter(s): ${verb} ${summary.replayed} in ${summary.messagesPublished} message(s); ` +
              `${summary.alreadyReplayed} already replayed; ${summary.notReplayable} not replayable\n`,
      );
    } finally {
      await stores.close();
      await pubsub?.close();
    }
  });

addConfigCommand(program, 'worker', { env: process.env });

process.exitCode = await runCli(program, process.argv);
