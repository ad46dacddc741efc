/**
 * The built-in `system` source: host CPU, memory, load and uptime, and
 * Sextant's own process footprint.
 * @module
 */
export {
  SYSTEM_GROUPS,
  type SystemFields,
  systemFields,
  type SystemGroup,
  systemKind,
} from "./system_kind.ts";
