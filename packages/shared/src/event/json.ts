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

/** What stands in for a subtree cut by depthLimited. */
export const CUT_MARKER = '[nested deeper than kept]';

/**
 * A copy of a parsed JSON value cut at `maxDepth` levels of nesting (deeper
 * objects and arrays become CUT_MARKER), built iteratively: JSON.parse accepts
 * nesting that JSON.stringify cannot write back (it recurses), and a dead
 * letter must still be able to carry what such an event looked like.
 */
export function depthLimited(value: unknown, maxDepth: number): unknown {
  const copyOf = (v: unknown): unknown =>
    Array.isArray(v) ? [] : typeof v === 'object' && v !== null ? {} : v;
  const root = copyOf(value);
  const stack: { src: unknown; dst: unknown; depth: number }[] = [{ src: value, dst: root, depth: 0 }];
  while (stack.length > 0) {
    const { src, dst, depth } = stack.pop()!;
    if (typeof src !== 'object' || src === null) continue;
    const entries: [string | number, unknown][] = Array.isArray(src)
      ? src.map((v, i) => [i, v])
      : Object.entries(src as Record<string, unknown>);
    for (const [k, v] of entries) {
      const nested = typeof v === 'object' && v !== null;
      const out = nested && depth + 1 >= maxDepth ? CUT_MARKER : copyOf(v);
      (dst as Record<string | number, unknown>)[k] = out;
      if (nested && out !== CUT_MARKER) stack.push({ src: v, dst: out, depth: depth + 1 });
    }
  }
  return root;
}
