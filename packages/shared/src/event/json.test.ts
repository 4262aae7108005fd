import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { mayHoldLoneSurrogates, toWellFormedJson } from './json.ts';

describe('well-formed strings from parsed JSON', () => {
  test('lone surrogates in values, keys and arrays become U+FFFD; pairs and other text stay', () => {
    const text = '{"a":"x\\ud800","\\udfffk":{"b":["\\ud800\\udc00","ok",1,null]},"c":"\\uDBFF"}';
    assert.ok(mayHoldLoneSurrogates(text));
    assert.deepEqual(toWellFormedJson(JSON.parse(text)), {
      a: 'x\uFFFD',
      '\uFFFDk': { b: ['\u{10000}', 'ok', 1, null] },
      c: '\uFFFD',
    });
    assert.equal(toWellFormedJson('\ud800'), '\uFFFD');
  });

  test('the cheap test is false for text without a surrogate escape (the walk is skipped)', () => {
    assert.equal(mayHoldLoneSurrogates('{"a":"\\u00e9 😀 \\n"}'), false);
  });

  test('nesting far deeper than the call stack is walked without overflow', () => {
    const depth = 200_000;
    const text = `${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}`;
    let node = toWellFormedJson(JSON.parse(text)) as unknown;
    for (let i = 0; i < depth; i++) node = (node as unknown[])[0];
    assert.equal(node, '\uFFFD');
  });

  test('property: every string and key of the result is toWellFormed() of the input; nothing else changes', () => {
    const piece = fc.oneof(fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '😀'), fc.string());
    const text = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(''));
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(text, tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    // The reference: a plain recursive copy (fine at these depths).
    const expected = (v: unknown): unknown =>
      typeof v === 'string'
        ? v.toWellFormed()
        : Array.isArray(v)
          ? v.map(expected)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toWellFormed(), expected(x)]))
            : v;
    fc.assert(
      fc.property(value, (input) => {
        const want = expected(input);
        const fixed = toWellFormedJson(structuredClone(input));
        assert.ok(JSON.stringify(fixed).isWellFormed());
        assert.deepEqual(fixed, want);
      }),
    );
  });
});
