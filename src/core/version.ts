/** Sextant's release version (kept equal to deno.json's by a test). */
export const VERSION = "0.4.0";
