// Decimal formatting for log and error messages. AssemblyScript's number toString links its
// digit tables (about 1 KiB) into every filter; messages need only this.

/** n in decimal. */
export function u32s(n: u32): string {
  if (n == 0) return "0";
  let len = 0;
  for (let t = n; t != 0; t /= 10) len++;
  const out = changetype<string>(__new(<usize>len << 1, idof<string>()));
  const p = changetype<usize>(out);
  for (let i = len - 1; i >= 0; i--) {
    store<u16>(p + (<usize>i << 1), <u16>(0x30 + n % 10));
    n /= 10;
  }
  return out;
}

/** n in decimal, with a leading '-' when negative. */
export function i64s(n: i64): string {
  if (n < 0) return "-" + u64s(<u64>(-(n + 1)) + 1);
  return u64s(<u64>n);
}

/** n in decimal. */
export function u64s(n: u64): string {
  if (n <= <u64>u32.MAX_VALUE) return u32s(<u32>n);
  const hi = n / 1000000000;
  const lo = <u32>(n % 1000000000);
  const l = u32s(lo);
  return u64s(hi) + "000000000".substr(0, 9 - l.length) + l;
}
