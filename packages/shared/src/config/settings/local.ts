import { setting } from './define.ts';
import { boolean } from './parsers.ts';

export const LOCAL_SETTINGS = {
  // ── Local all-in-one mode ─────────────────────────────────────────────────
  warehouseEnabled: setting({
    env: 'EVENTKIT_WAREHOUSE_ENABLED',
    description:
      'Local mode: run the warehouse loader in the same process (ignored with the firestore event store, which writes no files).',
    group: 'Local all-in-one mode',
    roles: ['dev'],
    parser: boolean(),
    default: true,
  }),
} as const;
