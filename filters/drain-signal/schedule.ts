// Where in the drain window one connection is signalled. Each stream derives its own moment from
// a hash of its connection id, so the signals spread uniformly over the window without any
// central list shared between worker VMs (Envoy gives each worker its own VM and memory).
import { mix64 } from "../../sdk/hash";
// Re-exported for the specs that check the spread.
export { mix64 };

/** Longest window the schedule supports (config and control requests are checked against it). */
export const MAX_WINDOW_MS: u64 = 0xffffffff;

/** The connection's place in any window: the top 32 bits of the hash, a fraction of 2^32. A
 *  stream keeps these 4 bytes instead of its 8-byte connection id. */
export function signalFraction(connectionId: u64): u32 {
  return <u32>(mix64(connectionId) >> 32);
}

/** Offset in [0, windowMs) of the connection with this fraction (signalFraction), from the drain
 *  start. The fraction scales the window, so every millisecond is equally likely (no modulo
 *  bias). windowMs is at most MAX_WINDOW_MS. */
export function offsetForFraction(fraction: u32, windowMs: u64): u64 {
  return (<u64>fraction * min(windowMs, MAX_WINDOW_MS)) >> 32;
}

/** Offset in [0, windowMs) of this connection's signal, from the drain start. */
export function signalOffsetMs(connectionId: u64, windowMs: u64): u64 {
  return offsetForFraction(signalFraction(connectionId), windowMs);
}
