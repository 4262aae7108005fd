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

/**
 * True when JSON text may hold a lone UTF-16 surrogate: only a `\uD800`–`\uDFFF`
 * escape can put one in a parsed string (invalid UTF-8 bytes already became
 * U+FFFD when the body was decoded). A cheap test that keeps the walk below off
 * the hot path for every body without such an escape.
 */
export function mayHoldLoneSurrogates(jsonText: string): boolean {
  return /\\u[dD][89a-fA-F]/.test(jsonText);
}

/**
 * The parsed value with every string and key well-formed UTF-16: a lone
 * surrogate becomes U+FFFD, as WHATWG's USVString conversion and TextDecoder do.
 * Downstream, such a string is not valid UTF-8 (Parquet, BigQuery's PARSE_JSON
 * and DuckDB's JSON refuse it) and could never be loaded; replacing the broken
 * half of a character loses nothing a reader could have used, while refusing
 * the event would lose all of it for a client's string-truncation bug.
 * Iterative, since JSON.parse accepts nesting far deeper than the call stack.
 * Objects and arrays are changed in place (they are fresh from JSON.parse).
 */
export function toWellFormedJson(value: unknown): unknown {
  const fix = (s: string) => (s.isWellFormed() ? s : s.toWellFormed());
  if (typeof value === 'string') return fix(value);
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = node[i];
        if (typeof item === 'string') node[i] = fix(item);
        else if (typeof item === 'object' && item !== null) stack.push(item);
      }
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const item = record[key];
        const fixedKey = fix(key);
        if (fixedKey !== key) {
          delete record[key];
          record[fixedKey] = item;
        }
        if (typeof item === 'string') record[fixedKey] = fix(item);
        else if (typeof item === 'object' && item !== null) stack.push(item);
      }
    }
  }
  return value;
}
