// The WASI functions Envoy registers under wasi_unstable and wasi_snapshot_preview1, with the
// results proxy-wasm-cpp-host gives (src/exports.cc wasi_unstable_*): fd_write/fd_pwrite to
// stdout (info) and stderr (error) become log lines without the trailing newline; realtime and
// monotonic clocks; random_get up to 64 KiB; environment from vm_config; everything file- or
// socket-shaped answers the errno cpp-host answers.
import { randomFillSync } from "node:crypto";
import { text, utf8 } from "./codec.ts";
import type { WasmVm } from "./vm.ts";

const ESUCCESS = 0, EBADF = 8, ENOTDIR = 20, EFAULT = 21, EINVAL = 28, ENOENT = 44, ENOSYS = 52, ENOTSUP = 58;
const RANDOM_GET_MAX = 64 * 1024;

export function buildWasi(vm: WasmVm): Record<string, (...args: never[]) => unknown> {
  const mem = () => vm.mem;
  const isStd = (fd: number) => fd === 1 || fd === 2;

  function writev(fd: number, iovs: number, n: number): number | { written: number } {
    if (!isStd(fd)) return EBADF;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const buf = mem().getU32(iovs + i * 8), len = mem().getU32(iovs + i * 8 + 4);
      if (buf === null || len === null) return EFAULT;
      if (len === 0) continue;
      const v = mem().view(buf, len);
      if (!v) return EFAULT;
      parts.push(v.slice());
      total += len;
    }
    if (total > 0) {
      const all = new Uint8Array(total);
      let o = 0;
      for (const p of parts) { all.set(p, o); o += p.length; }
      let s = text(all);
      if (s.endsWith("\n")) s = s.slice(0, -1);
      const c = vm.context();
      if ((fd === 1 ? 2 : 4) >= vm.process.logLevel) vm.log(fd === 1 ? "info" : "error", s, c ? c.contextId : 0);
    }
    return { written: total };
  }

  const env = () => Object.entries(vm.environment).map(([k, v]) => utf8(`${k}=${v}\0`));
  const traceUnsupported = (what: string) => {
    const c = vm.context();
    if (vm.process.logLevel <= 0) vm.log("trace", what, c ? c.contextId : 0);
  };

  return {
    fd_write(fd: number, iovs: number, n: number, nwrittenPtr: number): number {
      const r = writev(fd, iovs, n);
      if (typeof r === "number") return r;
      return mem().setU32(nwrittenPtr, r.written) ? ESUCCESS : EFAULT;
    },
    fd_pwrite(fd: number, iovs: number, n: number, _off: bigint, nwrittenPtr: number): number {
      const r = writev(fd, iovs, n);
      if (typeof r === "number") return r;
      return mem().setU32(nwrittenPtr, r.written) ? ESUCCESS : EFAULT;
    },
    fd_read: () => ENOSYS,
    fd_pread: () => ENOSYS,
    fd_seek: () => { traceUnsupported("wasi_unstable fd_seek"); return ESUCCESS; },
    fd_close: () => { traceUnsupported("wasi_unstable fd_close"); return ESUCCESS; },
    fd_fdstat_get(fd: number, statPtr: number): number {
      if (!isStd(fd)) return EBADF;
      const st = new Uint8Array(24);
      st[8] = 64; // fs_rights_base = __WASI_RIGHTS_FD_WRITE
      mem().write(statPtr, st);
      return ESUCCESS;
    },
    fd_fdstat_set_flags: () => ENOSYS,
    fd_fdstat_set_rights: (fd: number) => (isStd(fd) ? ESUCCESS : EBADF),
    fd_advise: () => ESUCCESS,
    fd_allocate: (fd: number) => (isStd(fd) ? ESUCCESS : EBADF),
    fd_datasync: (fd: number) => (isStd(fd) ? ESUCCESS : EBADF),
    fd_sync: (fd: number) => (isStd(fd) ? ESUCCESS : EBADF),
    fd_filestat_set_size: (fd: number) => (isStd(fd) ? ESUCCESS : EBADF),
    fd_filestat_set_times: (fd: number) => (isStd(fd) ? ESUCCESS : EBADF),
    fd_filestat_get: () => EBADF,
    fd_prestat_get: () => EBADF,
    fd_prestat_dir_name: () => ENOSYS,
    fd_readdir(_fd: number, _b: number, _l: number, _c: bigint, nreadPtr: number): number {
      return mem().setU32(nreadPtr, 0) ? ENOTDIR : EFAULT;
    },
    fd_renumber: (fd: number, to: number) => (isStd(fd) && isStd(to) ? ENOTSUP : EBADF),
    fd_tell(fd: number, ptr: number): number {
      if (!isStd(fd)) return EBADF;
      return mem().setU64(ptr, 0n) ? ESUCCESS : EFAULT;
    },
    path_open: () => ENOENT,
    path_filestat_get: () => ENOTSUP,
    path_create_directory: () => ENOTSUP,
    path_filestat_set_times: () => ENOTSUP,
    path_link: () => ENOTSUP,
    path_readlink(_fd: number, _p: number, _pl: number, _b: number, _bl: number, retPtr: number): number {
      return mem().setU32(retPtr, 0) ? ENOTSUP : EFAULT;
    },
    path_remove_directory: () => ENOTSUP,
    path_rename: () => ENOTSUP,
    path_symlink: () => ENOTSUP,
    path_unlink_file: () => ENOTSUP,
    sock_accept(_fd: number, _f: number, retPtr: number): number {
      return mem().setU64(retPtr, 0n) ? ENOTSUP : EFAULT;
    },
    sock_recv(_fd: number, _d: number, _l: number, _f: number, ret0: number, ret1: number): number {
      if (!mem().setU32(ret0, 0) || !mem().setU16(ret1, 0)) return EFAULT;
      return ENOTSUP;
    },
    sock_send(_fd: number, _d: number, _l: number, _f: number, ret0: number): number {
      return mem().setU32(ret0, 0) ? ENOTSUP : EFAULT;
    },
    sock_shutdown: () => ENOTSUP,
    environ_sizes_get(countPtr: number, sizePtr: number): number {
      const e = env();
      if (!mem().setU32(countPtr, e.length)) return EFAULT;
      return mem().setU32(sizePtr, e.reduce((n, b) => n + b.length, 0)) ? ESUCCESS : EFAULT;
    },
    environ_get(arrayPtr: number, bufPtr: number): number {
      for (const b of env()) {
        if (!mem().setU32(arrayPtr, bufPtr) || !mem().write(bufPtr, b)) return EFAULT;
        bufPtr += b.length;
        arrayPtr += 4;
      }
      return ESUCCESS;
    },
    args_get: () => ESUCCESS,
    args_sizes_get(argcPtr: number, sizePtr: number): number {
      return mem().setU32(argcPtr, 0) && mem().setU32(sizePtr, 0) ? ESUCCESS : EFAULT;
    },
    clock_time_get(id: number, _precision: bigint, ptr: number): number {
      let t: bigint;
      if (id === 0) t = vm.process.clock.realtimeNs();
      else if (id === 1) t = vm.process.clock.monotonicNs();
      else return ENOTSUP;
      return mem().setU64(ptr, t) ? ESUCCESS : EFAULT;
    },
    clock_res_get(id: number, ptr: number): number {
      if (id !== 0 && id !== 1) return ENOTSUP;
      return mem().setU64(ptr, 1n) ? ESUCCESS : EFAULT;
    },
    random_get(ptr: number, len: number): number {
      len >>>= 0;
      if (len > RANDOM_GET_MAX) return EINVAL;
      if (len === 0) return ESUCCESS;
      const v = mem().view(ptr, len);
      if (!v) return EFAULT;
      randomFillSync(v);
      return ESUCCESS;
    },
    sched_yield: () => ESUCCESS,
    poll_oneoff(_in: number, _out: number, _n: number, neventsPtr: number): number {
      return mem().setU32(neventsPtr, 0) ? ESUCCESS : EFAULT;
    },
    // cpp-host reports "wasi_unstable proc_exit" through Context::error (trace in Envoy) and returns.
    proc_exit: () => { traceUnsupported("wasi_unstable proc_exit"); },
  } as unknown as Record<string, (...args: never[]) => unknown>;
}
