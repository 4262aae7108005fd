// The bucket (or local folder) a role uses, checked by doing what the role
// does: a writer writes, reads back and deletes a probe object under its
// prefix (`{prefix}_eventkit/doctor/`, beside the loader's own bookkeeping);
// a reader lists. Real calls prove more than a permission list: the bucket's
// existence, its location constraints, retention locks, and the identity's
// roles all answer at once.
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../ports/object-store.ts';
import { type Check, CheckFailure } from './check.ts';

export interface ObjectStoreCheckOptions {
  /** What the store is, for the report: `gs://bucket/prefix`, a folder. */
  where: string;
  /** The prefix the role writes under (with its trailing separator, or empty). */
  prefix: string;
  access: 'write' | 'read';
  /** The fix for a refusal: which role or permission is missing. */
  fix: string;
}

export function objectStoreCheck(store: ObjectStore, options: ObjectStoreCheckOptions): Check {
  return {
    name: `${options.access === 'write' ? 'write to' : 'read'} ${options.where}`,
    async run() {
      try {
        if (options.access === 'read') {
          const page = await store.list(options.prefix, { pageSize: 1 });
          return {
            status: 'ok',
            detail: `listed (${page.objects.length ? 'holds objects' : 'empty so far'})`,
          };
        }
        const key = `${options.prefix}_eventkit/doctor/${randomUUID()}`;
        await store.put(key, Buffer.from('eventkit doctor probe'));
        const back = await store.get(key);
        if (back.toString() !== 'eventkit doctor probe')
          throw new Error('the probe object read back differs');
        try {
          await store.delete(key);
        } catch (err) {
          // The worker may create and read but not delete (roles/storage.objectCreator
          // and objectViewer, deploy/terraform/iam.tf): that is all it needs.
          return {
            status: 'warn',
            detail: `wrote and read back a probe object, but could not delete it (${key}): ${(err as Error).message}`,
            fix: 'nothing to do if this identity is not meant to delete (the bucket lifecycle rule removes it)',
          };
        }
        return { status: 'ok', detail: 'wrote, read back and deleted a probe object' };
      } catch (err) {
        if (err instanceof CheckFailure) throw err;
        throw new CheckFailure((err as Error).message, options.fix);
      }
    },
  };
}
