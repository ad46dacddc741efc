/**
 * The built-in `http` source: probes an endpoint and reports its response
 * time, status and availability, plus numbers picked out of a JSON body.
 * @module
 */
export { HTTP_BUILTIN_METRICS, type HttpFields, httpFields, httpKind } from "./http_kind.ts";
export { formatJsonPath, getJsonPath, parseJsonPath, type PathSegment } from "./json_path.ts";
