/**
 * Generic resilience parts: a circuit breaker, exponential backoff with
 * jitter, and a bounded FIFO that drops (and counts) the oldest. They know
 * nothing of metrics; the agent and the exporters wire them in.
 * @module
 */
export {
  BREAKER_STATE_VALUE,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from "./circuit_breaker.ts";
export { Backoff, type BackoffOptions } from "./backoff.ts";
export { BoundedBuffer } from "./bounded_buffer.ts";
