// Prints the configuration reference for the README or for scripts:
//   node packages/shared/src/config/render-table.ts          # Markdown table
//   node packages/shared/src/config/render-table.ts --json   # one object per variable
import { configTableRows, renderConfigTable } from './table.ts';

const json = process.argv.includes('--json');
process.stdout.write(json ? `${JSON.stringify(configTableRows(), null, 2)}\n` : renderConfigTable());
