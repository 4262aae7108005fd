// The JSON types of the fields eventkit knows, as one zod schema.
//
// It checks each known field on its own (every bad field is reported, not just
// the first); rules that relate fields to each other and to the type live in
// required-fields.ts. The schema is loose: unknown fields are the client's data
// and pass through untouched. Null is accepted wherever a field is optional,
// because SDKs send it for "not set" (analytics.js: `userId: null`).

import * as z from 'zod';
import { describeJsonType, isJsonObject, quoteExcerpt } from './json.ts';
import { MAX_MESSAGE_ID_LENGTH } from './limits.ts';
import type { ReasonCode } from './reasons.ts';
import { parseEventTime } from './time.ts';
import type { JsonObject } from './types.ts';

interface IssueInput {
  input?: unknown;
}

function mustBe(field: string, expectation: string) {
  return {
    error: (issue: IssueInput) => `${field} must be ${expectation}, not ${describeJsonType(issue.input)}`,
  };
}

// Ids: Segment clients send numbers too (a database primary key passed straight through).
const id = (field: string) =>
  z.union([z.string(), z.number()], mustBe(field, 'a string or a number')).nullish();

const text = (field: string) => z.string(mustBe(field, 'a string')).nullish();

const object = (field: string) => z.custom<JsonObject>(isJsonObject, mustBe(field, 'an object')).nullish();

const time = (field: string) =>
  z
    .custom<string | number>((value) => parseEventTime(value) !== undefined, {
      error: (issue: IssueInput) =>
        typeof issue.input === 'string'
          ? `${field} ${quoteExcerpt(issue.input)} is not a valid ISO-8601 date-time (like 2026-11-27T10:00:00.000Z, years 0001–9999)`
          : typeof issue.input === 'number'
            ? `${field} ${issue.input} is not epoch milliseconds from 1e11 (1973) to year 9999; smaller numbers look like epoch seconds`
            : `${field} must be an ISO-8601 date-time string or epoch milliseconds, not ${describeJsonType(issue.input)}`,
    })
    .nullish();

const messageId = z
  .string(mustBe('messageId', 'a string'))
  .min(1, { error: 'messageId must not be empty (omit it to have one assigned)' })
  .max(MAX_MESSAGE_ID_LENGTH, {
    error: (issue: IssueInput) =>
      `messageId is ${typeof issue.input === 'string' ? issue.input.length : '?'} characters long; the limit is ${MAX_MESSAGE_ID_LENGTH}`,
  })
  .nullish();

/** Known fields, the JSON type each must have, and the reason code when it does not. */
const FIELDS = {
  type: { schema: text('type'), code: 'invalid_field' },
  messageId: { schema: messageId, code: 'invalid_message_id' },
  userId: { schema: id('userId'), code: 'invalid_field' },
  anonymousId: { schema: id('anonymousId'), code: 'invalid_field' },
  groupId: { schema: id('groupId'), code: 'invalid_field' },
  previousId: { schema: id('previousId'), code: 'invalid_field' },
  event: { schema: text('event'), code: 'invalid_field' },
  name: { schema: text('name'), code: 'invalid_field' },
  category: { schema: text('category'), code: 'invalid_field' },
  timestamp: { schema: time('timestamp'), code: 'invalid_timestamp' },
  originalTimestamp: { schema: time('originalTimestamp'), code: 'invalid_timestamp' },
  sentAt: { schema: time('sentAt'), code: 'invalid_timestamp' },
  context: { schema: object('context'), code: 'invalid_field' },
  integrations: { schema: object('integrations'), code: 'invalid_field' },
  properties: { schema: object('properties'), code: 'invalid_field' },
  traits: { schema: object('traits'), code: 'invalid_field' },
} satisfies Record<string, { schema: z.ZodType; code: ReasonCode }>;

type KnownField = keyof typeof FIELDS;

/** The schema as written: zod's interpreter. Kept for the test that checks the compiled one agrees. */
export const inboundFieldsRuntimeSchema = z.looseObject(
  Object.fromEntries(Object.entries(FIELDS).map(([name, rule]) => [name, rule.schema])) as {
    [K in KnownField]: (typeof FIELDS)[K]['schema'];
  },
);

/**
 * The same schema compiled to a generated function (zod's `z.compile`): about
 * twice as fast on valid events, the gateway's common case. Invalid input is
 * handed to the interpreter, so issues and messages are the interpreter's. If
 * zod ever refuses to compile the schema it returns it unchanged, still correct.
 */
export const inboundFieldsSchema = z.compile(inboundFieldsRuntimeSchema);

/** The reason code for a bad value in a known top-level field. */
export function codeForField(field: PropertyKey | undefined): ReasonCode {
  return typeof field === 'string' && Object.hasOwn(FIELDS, field)
    ? FIELDS[field as KnownField].code
    : 'invalid_field';
}
