/** The bytes the snapshot's line readers look for (`snapshot-lines.ts`, `deferred-entries.ts`). */
export const NL = 10;
export const COMMA = 44;
export const QUOTE = 34;
export const COLON = 58;
export const BACKSLASH = 92;
export const OPEN = 123;
export const CLOSE = 125;
