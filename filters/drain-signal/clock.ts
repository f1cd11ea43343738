import { currentTimeNanos } from "../../sdk";

/** Wall-clock milliseconds from the host (proxy_get_current_time_nanoseconds): the same clock
 *  in every worker VM, so drain start times in shared data mean the same everywhere. */
export function currentMs(): u64 { return currentTimeNanos() / 1000000; }
