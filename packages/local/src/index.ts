// @eventkit/local: the all-in-one composition behind `make dev`.
export { type DevOptions, runDev } from './main.ts';
