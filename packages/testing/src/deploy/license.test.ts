// The licence: Apache-2.0 in LICENSE, in every package manifest, and in the images.
import assert from 'node:assert/strict';
import { globSync } from 'node:fs';
import { test } from 'vitest';
import { REPO, read } from './code-facts.ts';

test('LICENSE is the Apache License 2.0 and every package.json says so', () => {
  const license = read('LICENSE');
  assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(license, /END OF TERMS AND CONDITIONS/);
  const manifests = ['package.json', ...globSync('packages/*/package.json', { cwd: REPO })];
  assert.ok(manifests.length >= 8);
  for (const m of manifests) assert.equal(JSON.parse(read(m)).license, 'Apache-2.0', m);
  for (const role of ['gateway', 'worker', 'loader']) {
    assert.match(read(`Dockerfile.${role}`), /^COPY LICENSE \.\/$/m, `the ${role} image carries it`);
  }
});
