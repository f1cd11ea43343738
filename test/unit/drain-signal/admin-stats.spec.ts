import { parseAdminStats } from "../../../filters/drain-signal/admin-stats";

describe("admin stats reply", () => {
  it("reads a live server as not draining", () => {
    const s = parseAdminStats("listener_manager.total_listeners_draining: 0\nserver.state: 0\n");
    expect(s.draining).toBe(false);
    expect(s.error).toBe("");
  });

  it("reads a draining listener as draining", () => {
    expect(parseAdminStats("listener_manager.total_listeners_draining: 2\nserver.state: 0\n").draining).toBe(true);
  });

  it("reads server.state 1 (DRAINING, after /healthcheck/fail) as draining", () => {
    expect(parseAdminStats("server.state: 1\r\n").draining).toBe(true);
  });

  it("reads stopped listeners (POST /drain_listeners) as draining", () => {
    expect(parseAdminStats("listener_manager.listener_stopped: 1\nlistener_manager.total_listeners_draining: 0\nserver.state: 0\n").draining).toBe(true);
  });

  it("does not read a hot restart child's stopped listeners (its parent's, imported) as its own drain", () => {
    const s = parseAdminStats("listener_manager.listener_stopped: 1\nlistener_manager.total_listeners_draining: 0\nserver.state: 0\nserver.hot_restart_epoch: 1\n");
    expect(s.hotRestartEpoch).toBe(1);
    expect(s.draining).toBe(false);
    expect(parseAdminStats("listener_manager.listener_stopped: 1\nserver.state: 0\nserver.hot_restart_epoch: 0\n").draining).toBe(true);
  });

  it("reports a reply that holds neither stat", () => {
    const s = parseAdminStats("<html>not admin</html>");
    expect(s.draining).toBe(false);
    expect(s.error).toBe("admin reply has none of listener_manager.total_listeners_draining, listener_manager.listener_stopped, server.state");
  });

  it("skips lines that are not name: integer", () => {
    const s = parseAdminStats("cluster.x.upstream_rq_time: P0(nan,1) P25(nan,2)\nserver.state: 1\n");
    expect(s.serverState).toBe(1);
  });
});
