// Backfill progress: a bar on a terminal, plain lines otherwise (logs, CI).
import cliProgress from 'cli-progress';
import type { BackfillProgress } from '../core/report.ts';
import { formatBytes } from './format.ts';

export interface ProgressReporter {
  update(p: BackfillProgress): void;
  done(): void;
}

export function progressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return stream.isTTY ? barReporter(stream) : lineReporter(stream);
}

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        'backfill [{bar}] {percentage}% | {value}/{total} files | {rows} rows inserted | {eta_formatted} left',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) {
        bar.start(p.totalFiles, p.doneFiles, { rows: p.rowsInserted });
        started = true;
      } else {
        bar.update(p.doneFiles, { rows: p.rowsInserted });
      }
    },
    done() {
      if (started) bar.stop();
    },
  };
}

function lineReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return {
    update(p) {
      const pct = p.totalFiles === 0 ? 100 : Math.floor((p.doneFiles / p.totalFiles) * 100);
      const head =
        p.doneFiles === 0
          ? `backfill: ${p.totalFiles} files (${formatBytes(p.totalBytes)}) to load`
          : `backfill: ${p.doneFiles}/${p.totalFiles} files (${pct}%), ${p.rowsInserted} rows inserted`;
      stream.write(`${head}\n`);
    },
    done() {},
  };
}
