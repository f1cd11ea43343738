import { RESERVED, KEY, ACTIVE, ENDED, toRelease, upgradeSucceeded, parseStatus } from "../../../filters/conn-accounting/lifecycle";

describe("toRelease", () => {
  it("releases the reservation of a stream whose 101 never came", () => {
    expect(toRelease(RESERVED)).toBe(RESERVED);
  });
  it("releases reservation, key slot and active gauge of an upgraded stream", () => {
    expect(toRelease(RESERVED | KEY | ACTIVE)).toBe(RESERVED | KEY | ACTIVE);
  });
  it("releases nothing a second time", () => {
    expect(toRelease(RESERVED | KEY | ACTIVE | ENDED)).toBe(0);
  });
  it("releases nothing for a stream that reserved nothing", () => {
    expect(toRelease(0)).toBe(0);
  });
});

describe("upgradeSucceeded", () => {
  it("accepts 101 on a reserved HTTP/1.1 upgrade", () => {
    expect(upgradeSucceeded(RESERVED, 101)).toBe(true);
  });
  it("refuses 200: an HTTP/2 websocket reaches filters as a 101 upgrade too", () => {
    expect(upgradeSucceeded(RESERVED, 200)).toBe(false);
  });
  it("refuses a failed upgrade (503 from an upstream failure, 404 from the backend)", () => {
    expect(upgradeSucceeded(RESERVED, 503)).toBe(false);
    expect(upgradeSucceeded(RESERVED, 404)).toBe(false);
  });
  it("refuses a stream that is already active, ended or never reserved", () => {
    expect(upgradeSucceeded(RESERVED | ACTIVE, 101)).toBe(false);
    expect(upgradeSucceeded(RESERVED | ENDED, 101)).toBe(false);
    expect(upgradeSucceeded(0, 101)).toBe(false);
  });
});

describe("parseStatus", () => {
  it("reads three digits", () => { expect(parseStatus("101")).toBe(101); expect(parseStatus("503")).toBe(503); });
  it("returns -1 for anything else", () => { expect(parseStatus("1o1")).toBe(-1); expect(parseStatus("1010")).toBe(-1); });
});
