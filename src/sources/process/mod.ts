/**
 * The built-in `process` source: metrics of the processes that match a
 * pattern, read from `/proc` (Linux).
 * @module
 */
export {
  PROCESS_GROUPS,
  type ProcessFields,
  processFields,
  type ProcessGroup,
  processKind,
} from "./process_kind.ts";
