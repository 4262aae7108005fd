// Which fields each call type needs (Segment spec v1), checked across fields.
//
// A field counts as present when it holds anything but undefined, null or "".
// SDKs send `userId: null` (analytics.js) or `userId: ""` (Rudder browser) for
// anonymous users, which must not satisfy the identity rule; a present value of
// the wrong JSON type is reported by the schema, not again here.

import type { ReasonCode } from './reasons.ts';
import type { EventType, JsonObject, Reason } from './types.ts';

export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function reason(code: ReasonCode, message: string, path: string): Reason {
  return { code, message, path };
}

/** Reasons for missing required fields of an event of the given type (none when all are there). */
export function missingFieldReasons(event: JsonObject, type: EventType | undefined): Reason[] {
  const reasons: Reason[] = [];
  if (type === 'alias') {
    // alias(userId, previousId): the new id is the point of the call, an anonymousId cannot stand in for it.
    if (!isPresent(event.userId)) {
      reasons.push(reason('missing_identity', 'an alias call needs a userId (the new id)', 'userId'));
    }
    if (!isPresent(event.previousId)) {
      reasons.push(
        reason('missing_previous_id', 'an alias call needs a previousId (the old id)', 'previousId'),
      );
    }
    return reasons;
  }
  // Every other call, typed or not yet, needs someone to attribute it to.
  if (!isPresent(event.userId) && !isPresent(event.anonymousId)) {
    reasons.push(reason('missing_identity', 'every event needs a userId or an anonymousId', 'userId'));
  }
  if (type === 'track' && !isPresent(event.event)) {
    reasons.push(reason('missing_event_name', 'a track call needs an event name in `event`', 'event'));
  }
  if (type === 'group' && !isPresent(event.groupId)) {
    reasons.push(reason('missing_group_id', 'a group call needs a groupId', 'groupId'));
  }
  return reasons;
}
