// `eventkit-worker dlq list | replay`: the dead-letter store of the configured
// event store (dlq/: the summary and the replay). Both read the store; replay
// also publishes to the topic and records what it replayed under the worker id.
//   eventkit-worker dlq list   [--since] [--type] [--json]
//   eventkit-worker dlq replay [--since] [--type] [--dry-run] [--again] [--json]
import { addSettingOptions, CliError, jsonOutput, loadCommandConfig } from '@eventkit/shared/cli';
import type { Flags, SettingPart } from '@eventkit/shared/config';
import { openPubSub } from '@eventkit/shared/pubsub';
import type { Command } from 'commander';
import { formatSummary, summarize } from '../dlq/list.ts';
import { type ReplaySummary, replayDeadLetters } from '../dlq/replay.ts';
import { parseSince } from '../dlq/since.ts';
import { openSinks } from '../open-sinks.ts';

const LIST_PARTS: readonly SettingPart[] = ['logging', 'eventStore'];
const REPLAY_PARTS: readonly SettingPart[] = ['logging', 'eventStore', 'workerId', 'pubsub'];

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

function dlqCommand(parent: Command, name: string, description: string, parts: readonly SettingPart[]) {
  const cmd = parent
    .command(name)
    .description(description)
    .option(
      '--since <time>',
      'only letters that failed at or after this time: ISO date/time, or 30m, 24h, 7d',
    )
    .option('--type <type>', 'only validation or processing errors');
  return addSettingOptions(cmd, 'worker', parts);
}

/** The configuration of a dlq command; logs go to stderr, stdout is the command's output. */
const setup = (flags: DlqFlags, parts: readonly SettingPart[]) =>
  loadCommandConfig('worker', process.env, flags, { name: 'worker', parts, logsTo: 2 });

export function configureDlqCommand(program: Command): Command {
  const dlq = program
    .command('dlq')
    .description('Inspect and replay the dead-letter store of the configured event store.');

  dlqCommand(
    dlq,
    'list',
    'Count dead letters by type, reason code, stream and source (never payload values).',
    LIST_PARTS,
  )
    .option('--json', 'print the summary as JSON')
    .action(async (flags: DlqFlags) => {
      const filter = dlqFilter(flags);
      const { config } = setup(flags, LIST_PARTS);
      const sinks = await openSinks(config, { events: false });
      try {
        const summary = await summarize(sinks.deadLetters.scan(filter));
        process.stdout.write(flags.json ? `${jsonOutput(summary)}\n` : formatSummary(summary));
      } finally {
        await sinks.close();
      }
    });

  dlqCommand(
    dlq,
    'replay',
    'Re-publish dead-lettered events (and raw envelopes that decode now) to the topic, keeping their messageId, so the fixed pipeline processes them without creating duplicates. Letters already replayed are skipped.',
    REPLAY_PARTS,
  )
    .option('--dry-run', 'count what would be replayed; publish nothing')
    .option('--again', 'also replay letters a previous replay already re-published')
    .option('--json', 'print the result as JSON')
    .action(async (flags: DlqFlags) => {
      const filter = dlqFilter(flags);
      const { config, logger } = setup(flags, REPLAY_PARTS);
      const sinks = await openSinks(config, { events: false });
      const pubsub = flags.dryRun ? undefined : openPubSub(config, logger);
      try {
        const publisher = pubsub ? await pubsub.publisher() : undefined;
        const summary = await replayDeadLetters({
          store: sinks.deadLetters,
          ledger: sinks.deadLetters,
          ...(publisher ? { publisher } : {}),
          filter,
          dryRun: flags.dryRun ?? false,
          again: flags.again ?? false,
          logger,
        });
        await publisher?.close();
        process.stdout.write(flags.json ? `${jsonOutput(summary)}\n` : replayLine(summary));
      } finally {
        await sinks.close();
        await pubsub?.close();
      }
    });
  return dlq;
}

function replayLine(summary: ReplaySummary): string {
  const verb = summary.dryRun ? 'would replay' : 'replayed';
  return (
    `${summary.matched} matching dead letter(s): ${verb} ${summary.replayed} in ${summary.messagesPublished} message(s); ` +
    `${summary.alreadyReplayed} already replayed; ${summary.notReplayable} not replayable\n`
  );
}
