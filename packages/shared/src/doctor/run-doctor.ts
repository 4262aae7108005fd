// A role's `doctor` command body: run the checks, print the table (or JSON) on
// stdout, and end with exit 1 when one failed.
import { QuietExit } from '../cli/program.ts';
import { type Check, exitCodeOf, runChecks } from './check.ts';
import { renderDoctor } from './report.ts';

export async function runDoctor(program: string, checks: readonly Check[], json: boolean): Promise<void> {
  const results = await runChecks(checks);
  process.stdout.write(renderDoctor(program, results, json));
  const code = exitCodeOf(results);
  if (code !== 0) throw new QuietExit(code);
}
