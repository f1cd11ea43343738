// EDS from a file (eds_config.path_config_source). Envoy's filesystem subscription
// (source/extensions/config_subscription/filesystem/filesystem_subscription_impl.cc) reads the
// file once at start, then again each time the file is moved into place: its watcher listens for
// IN_MOVED_TO only (Filesystem::Watcher::Events::MovedTo), so writers must write a temp file and
// rename it over the path. In-place writes are not seen, here either.
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { readYamlDocument } from "../config/yaml.ts";
import type { SocketAddress } from "./config-model.ts";
import { parseLoadAssignment, TYPE } from "./bootstrap.ts";
import { BootstrapError, YamlObject } from "./yaml-reader.ts";

export interface EdsEvents {
  onUpdate(endpoints: SocketAddress[]): void;
  onEmpty(): void;
  onReject(why: string): void;
  onAttempt(): void;
}

/** Parses a DiscoveryResponse holding ClusterLoadAssignment resources; returns the one for `serviceName`. */
export function parseEdsFile(text: string, path: string, serviceName: string): SocketAddress[] | null {
  let doc: unknown;
  try { doc = readYamlDocument(text, path); } catch (e) {
    throw new BootstrapError(path, `not valid YAML/JSON: ${(e as Error).message}`);
  }
  const dr = YamlObject.of(doc, path);
  dr.ignore("version_info", "nonce", "type_url");
  const resources = dr.objList("resources");
  dr.done();
  if (resources.length === 0) return null;
  let found: SocketAddress[] | undefined;
  for (const r of resources) {
    const t = r.str("@type");
    if (t !== TYPE.clusterLoadAssignment) throw new BootstrapError(r.at("@type"), `expected "${TYPE.clusterLoadAssignment}", got ${JSON.stringify(t)}`);
    const name = r.str("cluster_name") ?? "";
    const eps = parseLoadAssignment(r);
    if (name === serviceName) found = eps;
  }
  if (!found) throw new BootstrapError(path, `no ClusterLoadAssignment with cluster_name "${serviceName}"`);
  return found;
}

export class EdsFileWatcher {
  private watcher: FSWatcher | null = null;
  constructor(readonly path: string, readonly serviceName: string, readonly cluster: string, private readonly ev: EdsEvents) {}

  start(): void {
    this.load();
    const base = basename(this.path);
    this.watcher = watch(dirname(this.path), { persistent: false }, (type, file) => {
      // 'rename' is how Node reports inotify IN_MOVED_TO (and create/delete, which then fail to read or are ignored).
      if (type === "rename" && file === base) this.load();
    });
  }

  private load(): void {
    this.ev.onAttempt();
    let text: string;
    try { text = readFileSync(this.path, "utf8"); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // the old file was moved away; wait for the new one
      this.ev.onReject(`${this.path}: ${(e as Error).message}`);
      return;
    }
    try {
      const eps = parseEdsFile(text, this.path, this.serviceName);
      if (eps === null) this.ev.onEmpty();
      else this.ev.onUpdate(eps);
    } catch (e) {
      this.ev.onReject((e as Error).message);
    }
  }

  close(): void { this.watcher?.close(); this.watcher = null; }
}
