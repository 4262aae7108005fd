// What a command's --help lists, for the per-command help tests of every role.
import assert from 'node:assert/strict';
import { createProgram, runCli } from '@eventkit/shared/cli';

type Program = ReturnType<typeof createProgram>;

/**
 * The long options `<bin> <args…> --help` lists, in order, for a program that
 * `configure` has given its commands. Fails the test when --help does not exit 0.
 */
export async function helpOptions(
  bin: string,
  configure: (program: Program) => unknown,
  args: readonly string[],
): Promise<string[]> {
  const program = createProgram({ name: bin, version: '0', description: 'test' });
  configure(program);
  let out = '';
  const write = (s: string) => {
    out += s;
  };
  assert.equal(
    await runCli(program, ['node', bin, ...args, '--help'], { stdout: write, stderr: write }),
    0,
    out,
  );
  return [...out.matchAll(/^ {2}(?:-\w, )?(--[a-z0-9-]+)/gm)].map((m) => m[1] as string);
}
