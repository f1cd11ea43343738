import { AccountingStream } from "../../../filters/conn-accounting/http";
import { TcpAccounting } from "../../../filters/conn-accounting/tcp";

// AssemblyScript's managed object: a 4-byte TLSF block header and a 16-byte object header
// (gcInfo, gcInfo2, rtId, rtSize; std/assembly/rt/common.ts) in front of the fields.
const HEADER: usize = 20;

describe("per-connection state", () => {
  it("keeps a websocket's state, both frame readers included, within 128 bytes", () => {
    expect(offsetof<AccountingStream>() + HEADER).toBeLessThanOrEqual(128);
    log<string>("AccountingStream: " + offsetof<AccountingStream>().toString() + " B of fields + " + HEADER.toString() + " B header");
  });
  it("keeps a TCP connection's state within 64 bytes", () => {
    expect(offsetof<TcpAccounting>() + HEADER).toBeLessThanOrEqual(64);
  });
});
