// Small helpers for values that came out of JSON.parse (or claim to).

import type { JsonObject } from './types.ts';

/**
 * True for `{...}` values: not null, not an array, and a plain or
 * null-prototype object (a Date or Map is not what JSON.parse produces).
 */
export function isJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `JSON.stringify`, or undefined when the value has no JSON form.
 * It throws on deep nesting: V8 parses JSON iteratively but serialises it
 * recursively, so a 100,000-deep array a client sent parses fine and then
 * cannot be written anywhere. Callers turn undefined into a reason, never a crash.
 */
export function toJsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** UTF-8 length of a string, what the limits are measured in. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** "a string", "an array", "null"... for messages that say what was received. */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'undefined':
      return 'nothing';
    default:
      return `a non-JSON ${typeof value}`;
  }
}

/** A short, quoted excerpt of a client value for an error message (never a whole payload). */
export function quoteExcerpt(value: string, maxChars = 40): string {
  const excerpt = value.length > maxChars ? `${value.slice(0, maxChars)}…` : value;
  return JSON.stringify(excerpt);
}
