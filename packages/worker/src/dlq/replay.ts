// `eventkit-worker dlq replay`: re-submits dead letters through the normal path
// (the queue, then the worker's validation, then the sink), after a fix.
//
// No duplicates downstream, however often a replay runs:
// - a replayed event keeps its messageId (the letter's, or `dlq-{letter id}`
//   for an old letter without one, the same on every replay), and the sinks
//   (Firestore document ids) and the warehouse merge deduplicate on source +
//   messageId;
// - a gateway letter holds the client's item: its receivedAt is restored from
//   the letter, so the worker can store it;
// - an event that is still invalid is dead-lettered again under the same id
//   (ids derive from source, messageId and reasons), which the stores and the
//   warehouse deduplicate: replaying never grows the error table;
// - letters are recorded in the replay ledger once their envelope was
//   published, and later replays skip them (`--again` replays them anyway);
//   a crash between the publish and the record only means a harmless re-send.
// A raw message (undecodable or poison) is re-published as the same bytes when
// they decode as an envelope now (e.g. after a worker upgrade); other raw
// letters cannot be replayed and are counted as such.
import { decodeEnvelope, encodeEnvelope } from '@eventkit/shared/envelope';
import { DEFAULT_STREAM, type DeadLetter, type RoutedEvent, type SegmentEvent } from '@eventkit/shared/event';
import type { Logger } from '@eventkit/shared/logging';
import type { DeadLetterFilter, DeadLetterStore, QueuePublisher } from '@eventkit/shared/ports';
import type { ReplayLedger } from '../sinks/replay-ledger.ts';

export interface ReplayOptions {
  store: DeadLetterStore;
  ledger: ReplayLedger;
  /** Absent on a dry run. */
  publisher?: QueuePublisher;
  filter?: DeadLetterFilter;
  dryRun?: boolean;
  /** Replay letters the ledger says were replayed already. */
  again?: boolean;
  /** Events per envelope (default 100, as the gateway sends them). */
  envelopeEvents?: number;
  logger?: Logger;
}

export interface ReplaySummary {
  matched: number;
  replayed: number;
  alreadyReplayed: number;
  notReplayable: number;
  messagesPublished: number;
  dryRun: boolean;
}

/** The routed event a letter carried, or undefined when it has no event object. */
export function eventOfLetter(letter: DeadLetter): RoutedEvent | undefined {
  if (typeof letter.payload !== 'object' || letter.payload === null || Array.isArray(letter.payload))
    return undefined;
  const event = { ...(letter.payload as Record<string, unknown>) };
  if (typeof event.messageId !== 'string' || event.messageId === '')
    event.messageId = letter.messageId ?? `dlq-${letter.id}`;
  // A gateway letter holds the client's item, before the gateway stamped it:
  // give it back the time it was received, which every stored event needs.
  if (event.receivedAt === undefined || event.receivedAt === null)
    event.receivedAt = letter.receivedAt ?? letter.failedAt;
  return {
    event: event as SegmentEvent,
    source: letter.source ?? 'default',
    stream: letter.stream ?? DEFAULT_STREAM,
    requestId: letter.requestId ?? `dlq-replay-${letter.id}`,
  };
}

export async function replayDeadLetters(options: ReplayOptions): Promise<ReplaySummary> {
  const dryRun = options.dryRun ?? false;
  if (!dryRun && !options.publisher)
    throw new Error('replayDeadLetters: a publisher is needed unless dryRun');
  const perEnvelope = options.envelopeEvents ?? 100;
  const done = options.again ? new Set<string>() : await options.ledger.replayed();
  const summary: ReplaySummary = {
    matched: 0,
    replayed: 0,
    alreadyReplayed: 0,
    notReplayable: 0,
    messagesPublished: 0,
    dryRun,
  };
  const pending = new Map<string, { events: RoutedEvent[]; ids: string[] }>();

  const publish = async (data: Buffer, attributes: Record<string, string>, ids: string[]) => {
    summary.replayed += ids.length;
    summary.messagesPublished++;
    if (dryRun) return;
    await options.publisher!.publish(data, { ...attributes, dlq_replay: 'true' });
    await options.ledger.recordReplayed(ids);
  };
  const flushStream = async (stream: string) => {
    const group = pending.get(stream);
    if (!group || group.events.length === 0) return;
    pending.delete(stream);
    const { data, attributes } = await encodeEnvelope(stream, group.events);
    await publish(data, attributes, group.ids);
  };

  for await (const letter of options.store.scan(options.filter)) {
    summary.matched++;
    if (done.has(letter.id)) {
      summary.alreadyReplayed++;
      continue;
    }
    const routed = eventOfLetter(letter);
    if (routed) {
      const group = pending.get(routed.stream) ?? { events: [], ids: [] };
      pending.set(routed.stream, group);
      group.events.push(routed);
      group.ids.push(letter.id);
      if (group.events.length >= perEnvelope) await flushStream(routed.stream);
      continue;
    }
    const raw = letter.raw ? Buffer.from(letter.raw, 'base64') : undefined;
    const envelope = raw ? await decodeEnvelope(raw).catch(() => undefined) : undefined;
    if (raw && envelope) {
      await publish(raw, { stream: envelope.stream, event_count: String(envelope.events.length) }, [
        letter.id,
      ]);
    } else {
      summary.notReplayable++;
    }
  }
  for (const stream of [...pending.keys()]) await flushStream(stream);
  options.logger?.info({ ...summary }, 'dlq_replayed');
  return summary;
}
