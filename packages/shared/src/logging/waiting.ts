// A start-up step that may wait on another system (Pub/Sub unreachable, say) says so: silence
// for a minute reads as a hung process. The first line comes after `firstMs`, then one every
// `everyMs` until the step ends; the step itself is not changed or bounded here.
import type { Logger } from './logger.ts';

export interface WaitingOptions {
  firstMs?: number;
  everyMs?: number;
}

export async function whileWaiting<T>(
  logger: Logger,
  message: string,
  fields: Record<string, unknown>,
  step: Promise<T>,
  options: WaitingOptions = {},
): Promise<T> {
  const started = Date.now();
  const say = () => logger.warn({ ...fields, waited_s: Math.round((Date.now() - started) / 1000) }, message);
  let repeat: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    say();
    repeat = setInterval(say, options.everyMs ?? 10_000);
  }, options.firstMs ?? 3000);
  try {
    return await step;
  } finally {
    clearTimeout(first);
    clearInterval(repeat);
  }
}
