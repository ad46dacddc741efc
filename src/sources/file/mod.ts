/**
 * The built-in `file` source: reads a file each interval and parses it as a
 * number, JSON lines or Prometheus text.
 * @module
 */
export { type FileFields, fileFields, fileKind } from "./file_kind.ts";
export { formatOfPath } from "./file_source.ts";
