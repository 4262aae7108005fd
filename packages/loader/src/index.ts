// @eventkit/loader: what the local all-in-one mode composes. The loader's own executable is
// cli.ts (commands/, compose.ts).
//   const loader = await loaderFromConfig(config, { logger });
//   void loader.loop();     // every EVENTKIT_WAREHOUSE_LOADER_INTERVAL s
//   await loader.runOnce(); // or load now (never throws: see RunReport)
//   await loader.stop();    // ends the loop; the running job finishes, no other starts
//   await loader.runOnce(); // after stop(): a final load, run in full

export { type LoaderFromConfigOptions, loaderFromConfig } from './compose.ts';
export type { Loader } from './core/loader.ts';
export type { RunReport } from './core/report.ts';
