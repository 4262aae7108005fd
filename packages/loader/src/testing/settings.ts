// The loader's settings as the settings table's defaults give them (EVENTKIT_*
// unset), for tests and benchmarks that build a loader by hand.
import { loadConfig } from '@eventkit/shared/config';
import { type LoaderSettings, loaderSettings } from '../core/loader.ts';

export function defaultLoaderSettings(overrides: Partial<LoaderSettings> = {}): LoaderSettings {
  return { ...loaderSettings(loadConfig('loader', {}).config), ...overrides };
}
