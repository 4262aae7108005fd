// Types of stripped-mark.mjs, for the TypeScript that reads the mark.
/** What scripts/strip-types.ts appends to every file it strips. */
export declare const STRIPPED_MARK: string;
