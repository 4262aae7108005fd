import type { SettingKey } from './settings.ts';
import { SETTINGS } from './settings.ts';

/** What a secret's value is replaced with wherever configuration is shown. */
export const REDACTED = '[REDACTED]';

/**
 * A copy of a configuration that is safe to print or log: secret settings
 * (write keys) are replaced by `[REDACTED]` when set; unset values become
 * `null`, so every setting shows up in JSON output.
 */
export function redactedConfig(config: object): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const spec = (SETTINGS as Readonly<Record<string, { secret: boolean } | undefined>>)[key];
    if (value === undefined) out[key] = null;
    else if (spec?.secret) out[key] = REDACTED;
    else out[key] = value;
  }
  return Object.freeze(out);
}

/** True for settings whose values must never be shown. */
export function isSecret(key: SettingKey): boolean {
  return SETTINGS[key].secret;
}
