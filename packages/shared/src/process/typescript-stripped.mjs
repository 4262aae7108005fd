// The images' loader hook (`node --import` in each Dockerfile's ENTRYPOINT):
// the sources in an image are TypeScript with the types already stripped at
// build time (scripts/strip-types.ts, which marks each file on its last
// line), so they are loaded as the plain ES modules they are. Node then never
// loads its own type stripper, which costs 17 MiB of RSS in every thread that
// loads a .ts file (measured: 58 MiB for a one-line .ts, 41 MiB as .mjs); the
// gateway has two such threads. A .ts file without the mark is handed to Node
// as TypeScript, as without this hook: a file the build missed still runs.
//
// This file is JavaScript because it runs before any TypeScript can load.
// registerHooks runs in the thread that calls it; worker threads get it too,
// since they inherit the --import of the process.
import { registerHooks } from 'node:module';
import { STRIPPED_MARK } from './stripped-mark.mjs';

registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (result.format !== 'module-typescript') return result;
    const source =
      typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
    return source.trimEnd().endsWith(STRIPPED_MARK) ? { ...result, format: 'module', source } : result;
  },
});
