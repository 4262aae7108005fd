// The port's view types, named here (the ports entry point exports the Warehouse interface).
import type { Warehouse } from '@eventkit/shared/ports';

export type ViewsReport = Awaited<ReturnType<NonNullable<Warehouse['refreshViews']>>>;
export type ViewInfo = ViewsReport['views'][number];
