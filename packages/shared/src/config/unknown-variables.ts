// EVENTKIT_* variables the executable will not read, as warnings: a misspelt name (with the
// nearest known one) or a setting of another role. Silence here costs an hour of "why is my
// setting ignored". The project's own scripts read a few EVENTKIT_* variables of their own
// (tests, bench, setup): those are not settings and draw no warning.
import { allSettings, type Role, rolesOf } from './settings.ts';

const TOOLING = /^EVENTKIT_(TEST_|BENCH_|SETUP_|FIXTURE_OUT$|PID_FILE$|TOOLS_CACHE$)/;

const KNOWN = new Map<string, readonly Role[]>(
  allSettings().flatMap((s) =>
    [s.env, ...(s.aliases ?? []).map((a) => a.env)].map((env) => [env, rolesOf(s)] as const),
  ),
);

export function unknownVariableWarnings(
  role: Role,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('EVENTKIT_') || TOOLING.test(name) || env[name] === undefined) continue;
    const roles = KNOWN.get(name);
    if (roles === undefined) {
      const near = nearest(name);
      warnings.push(
        `${name} is not an eventkit setting and is ignored${near ? `; did you mean ${near}?` : ''}`,
      );
    } else if (!roles.includes(role)) {
      const readers = roles.filter((r) => r !== 'dev');
      warnings.push(`${name} is a setting of the ${readers.join(' and ')}; the ${role} does not read it`);
    }
  }
  return warnings;
}

/** The known variable closest to `name`, if it is close enough to be a slip (edit distance ≤ 3). */
function nearest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const known of KNOWN.keys()) {
    const d = distance(name, known, bestDistance);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once every path is past it. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    if (Math.min(...row) >= limit) return limit;
    previous = row;
  }
  return previous[b.length]!;
}
