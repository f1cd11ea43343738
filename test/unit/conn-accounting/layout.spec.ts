import { AccountingStream } from "../../../filters/conn-accounting/http";
import { TcpAccounting } from "../../../filters/conn-accounting/tcp";

// AssemblyScript's managed object: a 4-byte TLSF block header and a 16-byte object header
// (gcInfo, gcInfo2, rtId, rtSize; std/assembly/rt/common.ts) in front of the fields.
const HEADER: usize = 20;

// The TLSF block an object of `fields` bytes occupies: header included, rounded up to 16 bytes
// (std/assembly/rt/tlsf.ts computeSize, AL_SIZE 16).
function blockOf(fields: usize): usize {
  return (fields + HEADER + 15) & ~15;
}

describe("per-connection state", () => {
  it("keeps a websocket's object, both frame readers included, in a 112-byte block (the context table's slot keeps the total under 128)", () => {
    expect(blockOf(offsetof<AccountingStream>())).toBeLessThanOrEqual(112);
    log<string>("AccountingStream: " + offsetof<AccountingStream>().toString() + " B of fields, block " + blockOf(offsetof<AccountingStream>()).toString() + " B");
  });
  it("keeps a TCP connection's state within 64 bytes", () => {
    expect(offsetof<TcpAccounting>() + HEADER).toBeLessThanOrEqual(64);
  });
});
