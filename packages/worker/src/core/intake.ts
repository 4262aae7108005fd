// Message intake: what one queue message becomes, as a function of the
// message, the settings and the time only (no I/O, no state), so that every
// path (poison, undecodable, invalid events, accepted events) is testable on
// its own and the same on every redelivery.
//
//   poison       delivered more than maxDeliveryAttempts times → the whole
//                message as a dead letter (raw bytes)
//   undecodable  not an envelope we can read → the whole message as a dead letter
//   events       the envelope's events: each re-validated and adapted
//                (invalid → an event dead letter with the reasons), and the
//                accepted ones with their size and partition. Dead letters the
//                gateway already made travel in the envelope and are passed on.
import { decodeEnvelope, EnvelopeError } from '@eventkit/shared/envelope';
import type { DeadLetter, RoutedEvent } from '@eventkit/shared/event';
import { partitionFor } from '@eventkit/shared/partition';
import type { QueueMessage } from '@eventkit/shared/ports';
import { adaptEvent } from './adapt.ts';
import { eventLetter, messageLetter } from './dead-letters.ts';
import type { WorkerSettings } from './settings.ts';

export interface Accepted {
  routed: RoutedEvent;
  /** Size of the event's JSON, counted against the batch byte limit. */
  bytes: number;
  partition: number;
}

export type Intake =
  | { kind: 'dead-letter'; reason: 'poison' | 'undecodable'; letter: DeadLetter }
  | {
      kind: 'events';
      stream: string;
      /** The envelope's events as decoded (for debug logs and the received count). */
      received: readonly RoutedEvent[];
      /** Dead letters to store before the ack: the gateway's, then the events that failed validation. */
      invalid: DeadLetter[];
      accepted: Accepted[];
    };

export type IntakeSettings = Pick<WorkerSettings, 'maxDeliveryAttempts' | 'maxEventBytes' | 'partitions'>;

export async function intake(message: QueueMessage, settings: IntakeSettings, now: Date): Promise<Intake> {
  if (message.deliveryAttempt > settings.maxDeliveryAttempts) {
    const reason = {
      code: 'poison_message',
      message: `delivered ${message.deliveryAttempt} times (limit ${settings.maxDeliveryAttempts}) without being processed; kept whole`,
    };
    return { kind: 'dead-letter', reason: 'poison', letter: messageLetter(message, [reason], now) };
  }
  let envelope: Awaited<ReturnType<typeof decodeEnvelope>>;
  try {
    envelope = await decodeEnvelope(message.data);
  } catch (err) {
    if (!(err instanceof EnvelopeError)) throw err;
    return {
      kind: 'dead-letter',
      reason: 'undecodable',
      letter: messageLetter(message, [err.toReason()], now),
    };
  }
  // Events the gateway already refused travel as dead letters (stream
  // `_dead_letters`): stored like the worker's own, before the ack.
  const invalid: DeadLetter[] = envelope.deadLetters;
  const accepted: Accepted[] = [];
  const events = envelope.events;
  for (let index = 0; index < events.length; index++) {
    const routed = events[index]!;
    const adapted = adaptEvent(routed, settings.maxEventBytes);
    if (!adapted.ok) {
      // The origin (queue message id and index) names the letter of an event without a messageId.
      invalid.push(eventLetter(routed, 'validation', adapted.reasons, now, `${message.id}#${index}`));
      continue;
    }
    const partition = partitionFor(adapted.routed.event, settings.partitions);
    accepted.push({ routed: adapted.routed, bytes: adapted.bytes, partition });
  }
  return { kind: 'events', stream: envelope.stream, received: events, invalid, accepted };
}
