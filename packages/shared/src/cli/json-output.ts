// What `--json` prints: snake_case keys, as the log lines and `wal status --json` name things,
// so every machine output of eventkit reads alike; dates as ISO-8601 text.
export function jsonOutput(value: unknown): string {
  return JSON.stringify(snakeCaseKeys(value), null, 2);
}

export function snakeCaseKeys(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      snakeCaseKeys(v),
    ]),
  );
}
