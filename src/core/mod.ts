/**
 * Sextant's core: the sample model, the source interface, errors, logging,
 * redaction, durations and clocks. Pure: no I/O, no imports from elsewhere in `src/`.
 * @module
 */
export * from "./sample.ts";
export * from "./errors.ts";
export * from "./logger.ts";
export * from "./redact.ts";
export * from "./duration.ts";
export * from "./clock.ts";
export type * from "./source.ts";
export type * from "./platform.ts";
export { VERSION } from "./version.ts";
export * from "./formats.ts";
