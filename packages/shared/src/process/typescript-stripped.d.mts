// Types of typescript-stripped.mjs, for the TypeScript that imports its mark.
/** What scripts/strip-types.ts appends to every file it strips. */
export declare const STRIPPED_MARK: string;
