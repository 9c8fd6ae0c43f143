/** The SSRF guard: address classes, allow_private, metadata, rebinding, and verifySsl per registration. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SsrfError, SsrfGuard, type LookupFn } from "../../src/delivery/ssrf.js";
import { Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

const fixed =
  (...addresses: string[]): LookupFn =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("SsrfGuard", () => {
  const refused = [
    ["10.1.2.3", /private/],
    ["172.16.0.1", /private/],
    ["192.168.1.1", /private/],
    ["127.0.0.1", /loopback/],
    ["::1", /loopback/],
    ["169.254.10.10", /link-local/],
    ["fe80::1", /link-local/],
    ["fc00::1", /unique-local/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["224.0.0.1", /multicast/],
    ["ff02::1", /multicast/],
    ["0.0.0.0", /unspecified/],
    ["::", /unspecified/],
    ["169.254.169.254", /metadata/],
    ["fd00:ec2::254", /metadata/],
    ["::ffff:127.0.0.1", /loopback/],
    ["::ffff:169.254.169.254", /metadata/],
    ["2002:7f00:1::1", /6to4/],
  ] as const;

  it.each(refused)("refuses %s", async (address, why) => {
    const guard = new SsrfGuard({ lookup: fixed(address) });
    await expect(guard.vet(new URL("https://hooks.example.com/x"))).rejects.toThrow(why);
    await expect(guard.vet(new URL("https://hooks.example.com/x"))).rejects.toBeInstanceOf(SsrfError);
  });

  it("refuses IP literals in the URL without resolving", async () => {
    let lookups = 0;
    const guard = new SsrfGuard({ lookup: async (host) => (lookups++, fixed("8.8.8.8")(host)) });
    await expect(guard.vet(new URL("http://127.0.0.1:8080/"))).rejects.toThrow(/loopback/);
    await expect(guard.vet(new URL("http://[::1]/"))).rejects.toThrow(/loopback/);
    await expect(guard.vet(new URL("http://169.254.169.254/latest/meta-data/"))).rejects.toThrow(/metadata/);
    expect(lookups).toBe(0);
  });

  it("refuses metadata host names before resolving", async () => {
    const guard = new SsrfGuard({ lookup: fixed("8.8.8.8") });
    await expect(guard.vet(new URL("http://metadata.google.internal/computeMetadata/v1/"))).rejects.toThrow(/metadata host/);
  });

  it("accepts public addresses and returns the one to connect to", async () => {
    const guard = new SsrfGuard({ lookup: fixed("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946") });
    await expect(guard.vet(new URL("https://example.com/"))).resolves.toEqual({ address: "93.184.216.34", family: 4 });
  });

  it("refuses a name when any of its addresses is refused", async () => {
    const guard = new SsrfGuard({ lookup: fixed("93.184.216.34", "10.0.0.1") });
    await expect(guard.vet(new URL("https://mixed.example.com/"))).rejects.toThrow(/10\.0\.0\.1 is a private/);
  });

  it("allows addresses inside network.allow_private, but never the metadata service", async () => {
    const guard = new SsrfGuard({ allowPrivate: ["10.0.0.0/8", "fd00::/8", "169.254.0.0/16"], lookup: fixed("10.20.30.40") });
    await expect(guard.vet(new URL("https://internal.example/"))).resolves.toEqual({ address: "10.20.30.40", family: 4 });
    expect(guard.refusal("fd12::1")).toBeNull();
    expect(guard.refusal("192.168.0.1")).toMatch(/private/);
    expect(guard.refusal("169.254.169.254")).toMatch(/metadata/);
    expect(guard.refusal("fd00:ec2::254")).toMatch(/metadata/);
  });

  it("rejects a malformed allow_private entry", () => {
    expect(() => new SsrfGuard({ allowPrivate: ["10.0.0.0/33"] })).toThrow(/network\.allow_private\[0\]/);
  });
});

describe("WebhookManager SSRF guard", () => {
  let rx: Receiver;
  const setups: Setup[] = [];
  beforeEach(async () => {
    rx = await new Receiver().listen();
  });
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    await rx.close();
  });
  function make(options: Parameters<typeof setup>[0] = {}): Setup {
    const s = setup(options);
    setups.push(s);
    return s;
  }

  it("dead-letters a delivery to a private address without sending or retrying", async () => {
    const { bus, manager } = make({ network: { allowPrivate: [] } });
    manager.register({ eventType: "test", url: rx.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1);
    const [log] = await manager.getDeliveryLogs();
    expect(log).toMatchObject({
      attempt: 1,
      statusCode: null,
      error: expect.stringMatching(/refused 127\.0\.0\.1: 127\.0\.0\.1 is a loopback address/),
    });
    expect(rx.requests).toHaveLength(0);
  });

  it("refuses a host that resolves to the metadata service", async () => {
    const { bus, manager } = make({ lookup: fixed("169.254.169.254"), network: { allowPrivate: ["169.254.0.0/16"] } });
    manager.register({ eventType: "test", url: "http://evil.example/hook" });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1);
    expect((await manager.getDeliveryLogs())[0].error).toMatch(/metadata/);
  });

  it("connects to the vetted address: a second DNS answer (rebinding) is never used", async () => {
    // The first answer is the allowed receiver; any later answer points at a private address.
    let calls = 0;
    const lookup: LookupFn = async () => [{ address: calls++ === 0 ? "127.0.0.1" : "10.0.0.99", family: 4 }];
    const { bus, manager } = make({ lookup, network: { allowPrivate: ["127.0.0.1/32"] } });
    manager.register({ eventType: "test", url: `http://rebind.example:${rx.port}/hook` });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(() => rx.requests.length === 1);
    expect(rx.requests[0].headers.host).toBe(`rebind.example:${rx.port}`);
    expect(calls).toBe(1); // resolved once, by the guard; the socket used its answer
  });

  it("checks every attempt: a name rebound to a private address after a failure is refused", async () => {
    rx.reply = () => ({ status: 500 });
    let calls = 0;
    const lookup: LookupFn = async () => [{ address: calls++ === 0 ? "127.0.0.1" : "10.0.0.99", family: 4 }];
    const { bus, manager } = make({ lookup, network: { allowPrivate: ["127.0.0.1/32"] } });
    manager.register({ eventType: "test", url: `http://rebind.example:${rx.port}/hook` });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1);
    const logs = (await manager.getDeliveryLogs()).reverse();
    expect(logs.map((l) => [l.status, l.statusCode])).toEqual([
      ["failed", 500],
      ["dead", null],
    ]);
    expect(logs[1].error).toMatch(/10\.0\.0\.99 is a private address/);
    expect(rx.requests).toHaveLength(1);
  });

  describe("verifySsl", () => {
    let dir: string;
    let server: ReturnType<typeof createServer>;
    let port: number;
    let hits = 0;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "empathy-tls-"));
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=localhost",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      server = createServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (req, res) => {
        hits++;
        req.resume();
        req.on("end", () => res.end("ok"));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    it("refuses a self-signed certificate by default and accepts it only where verifySsl is false", async () => {
      const { bus, manager } = make();
      manager.register({ eventType: "test", url: `https://127.0.0.1:${port}/strict`, retryCount: 0 });
      manager.register({ eventType: "test", url: `https://127.0.0.1:${port}/lenient`, verifySsl: false });
      await manager.start();
      bus.emit({ type: "test", data: {} });
      await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1 && hits === 1);
      await sleep(50);
      expect(hits).toBe(1);
      const dead = await manager.getDeliveryLogs({ status: "dead" });
      expect(dead[0].error).toMatch(/self-signed|certificate/i);
      expect(await manager.getDeliveryLogs({ status: "delivered" })).toHaveLength(1);
    });
  });
});
