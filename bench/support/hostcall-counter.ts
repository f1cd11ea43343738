// Counts the hostcalls a module makes, by wrapping the env.proxy_* imports the host passes to
// `new WebAssembly.Instance` (the host itself is untouched). Install before loadPlugin.
export class HostcallCounter {
  readonly calls: string[] = [];
  private readonly original = WebAssembly.Instance;

  install(): void {
    const original = this.original;
    const calls = this.calls;
    const Counting = function (module: WebAssembly.Module, imports: WebAssembly.Imports = {}) {
      const env: Record<string, WebAssembly.ImportValue> = { ...(imports.env ?? {}) };
      for (const [name, f] of Object.entries(env)) {
        if (typeof f !== "function" || !name.startsWith("proxy_")) continue;
        const fn = f as (...a: unknown[]) => unknown;
        env[name] = (...args: unknown[]) => { calls.push(name); return fn(...args); };
      }
      return new original(module, { ...imports, env });
    } as unknown as typeof WebAssembly.Instance;
    Counting.prototype = original.prototype;
    (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = Counting;
  }

  uninstall(): void {
    (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = this.original;
  }

  /** The calls made while `fn` runs. */
  during(fn: () => void): string[] {
    const start = this.calls.length;
    fn();
    return this.calls.slice(start);
  }
}
