// The mark scripts/strip-types.ts appends to every file it strips at image
// build, and that typescript-stripped.mjs looks for at run time. A module of
// its own, without side effects, so the build script and its tests can read
// the mark without registering the hook.
export const STRIPPED_MARK = '// eventkit: types stripped at build';
