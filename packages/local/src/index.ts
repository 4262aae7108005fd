// @eventkit/local: the all-in-one composition behind `make dev`.
export { type ComposedDev, composeDev, type DevOptions } from './compose.ts';
