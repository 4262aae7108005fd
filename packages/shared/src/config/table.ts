// The configuration reference, generated from the settings table: Markdown
// for the README and rows for scripts (see render-table.ts).
import { allSettings, type Role, rolesOf, type SettingGroup } from './settings.ts';

export interface ConfigTableRow {
  readonly group: SettingGroup;
  readonly env: string;
  /** Absent for deprecated aliases, which have no flag. */
  readonly flag: string | undefined;
  readonly default: string;
  readonly roles: readonly Role[];
  readonly description: string;
  readonly secret: boolean;
  /** For a deprecated alias: the variable that replaces it. */
  readonly deprecatedAliasOf: string | undefined;
}

/** Every variable, aliases included, in table order. */
export function configTableRows(): readonly ConfigTableRow[] {
  const rows: ConfigTableRow[] = [];
  for (const s of allSettings()) {
    const roles = rolesOf(s);
    rows.push({
      group: s.group,
      env: s.env,
      flag: s.flag,
      default: s.defaultText,
      roles,
      description: s.description,
      secret: s.secret,
      deprecatedAliasOf: undefined,
    });
    for (const a of s.aliases) {
      rows.push({
        group: s.group,
        env: a.env,
        flag: undefined,
        default: s.defaultText,
        roles,
        description: `Deprecated alias of ${s.env}: still works, logs a deprecation warning; ${s.env} wins when both are set.`,
        secret: s.secret,
        deprecatedAliasOf: s.env,
      });
    }
  }
  return rows;
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (s: string): string => (s === '' ? '' : `\`${s}\``);

/**
 * The configuration reference as one Markdown table (variable, flag, default,
 * roles, meaning) with a bold row per group, like the seed's table.
 */
export function renderConfigTable(): string {
  const lines = ['| Variable | Flag | Default | Roles | Meaning |', '|---|---|---|---|---|'];
  let group: SettingGroup | undefined;
  for (const r of configTableRows()) {
    if (r.group !== group) {
      group = r.group;
      lines.push(`| **${group}** | | | | |`);
    }
    const def = /^[—(]/.test(r.default) || r.default.includes(' ') ? r.default : code(r.default);
    const meaning = r.secret ? `${r.description} Secret: never printed or logged.` : r.description;
    lines.push(
      `| ${code(r.env)} | ${r.flag ? code(r.flag) : '—'} | ${cell(def || '—')} | ${r.roles.join(', ')} | ${cell(meaning)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
