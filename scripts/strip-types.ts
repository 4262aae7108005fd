// Build step of the images: replaces every .ts file under the given folders
// by its JavaScript, in place, with Node's own module.stripTypeScriptTypes
// (the types become spaces, so lines and columns, and with them every stack
// trace, stay those of the source), and marks it on a last line of its own.
// packages/shared/src/process/typescript-stripped.mjs then loads the marked
// files as plain ES modules, and Node's type stripper (17 MiB per thread) is
// never loaded.
//
//   node scripts/strip-types.ts <folder>...
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { STRIPPED_MARK } from '../packages/shared/src/process/stripped-mark.mjs';

export { STRIPPED_MARK };

async function* typeScriptFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* typeScriptFiles(full);
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

/** The file's JavaScript, marked; a file already marked is returned as it is. */
export function stripFile(source: string): string {
  if (source.trimEnd().endsWith(STRIPPED_MARK)) return source;
  return `${stripTypeScriptTypes(source, { mode: 'strip' }).trimEnd()}\n${STRIPPED_MARK}\n`;
}

export async function stripFolders(folders: readonly string[]): Promise<number> {
  let count = 0;
  for (const folder of folders) {
    for await (const file of typeScriptFiles(folder)) {
      await writeFile(file, stripFile(await readFile(file, 'utf8')));
      count++;
    }
  }
  return count;
}

if (import.meta.main) {
  const folders = process.argv.slice(2);
  if (folders.length === 0) {
    console.error('usage: node scripts/strip-types.ts <folder>...');
    process.exit(2);
  }
  console.log(`strip-types: ${await stripFolders(folders)} files stripped`);
}
