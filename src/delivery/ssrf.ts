/**
 * SSRF guard for outgoing webhooks. A webhook URL is operator input, but the host it names can
 * resolve anywhere: to the cloud metadata service, to a database on the private network, or to
 * loopback. Before every attempt the host is resolved (all addresses) and every address must be
 * public unicast, unless it lies inside one of the operator's `network.allow_private` CIDRs.
 * The request then connects to the vetted address itself (see `pinnedLookup`), so a DNS answer
 * that changes between the check and the connect (DNS rebinding) cannot redirect it.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import ipaddr from "ipaddr.js";

export interface ResolvedAddress {
  address: string;
  /** 4 or 6 */
  family: number;
}

/** Resolves a host name to all its addresses (injectable for tests). */
export type LookupFn = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: LookupFn = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family }));

/** A request refused by the guard: not retried (the address is the problem, not the moment). */
export class SsrfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SsrfError";
  }
}

/** Cloud metadata services: refused even when an allow_private range covers them. */
const METADATA_ADDRESSES = new Set(["169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2"]);
const METADATA_HOSTS = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"]);

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface SsrfGuardOptions {
  /** CIDRs ("127.0.0.0/8", "10.0.0.0/8", "fd00::/8") whose addresses may be reached. */
  allowPrivate?: string[];
  lookup?: LookupFn;
}

export class SsrfGuard {
  private readonly allowed: Cidr[];
  private readonly lookup: LookupFn;

  constructor(options: SsrfGuardOptions = {}) {
    this.lookup = options.lookup ?? systemLookup;
    this.allowed = (options.allowPrivate ?? []).map((cidr, i) => {
      try {
        const text = String(cidr).trim();
        if (text.includes("/")) return ipaddr.parseCIDR(text);
        const single = ipaddr.parse(text); // a single address
        return [single, single.kind() === "ipv4" ? 32 : 128] as Cidr;
      } catch {
        throw new Error(`network.allow_private[${i}]: "${cidr}" is not a CIDR range (e.g. "10.0.0.0/8")`);
      }
    });
  }

  /**
   * Why an address may not be reached, or null when it may. IPv4-mapped IPv6 addresses are
   * judged as the IPv4 address they carry.
   */
  refusal(address: string): string | null {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.parse(address);
    } catch {
      return `"${address}" is not an IP address`;
    }
    if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
    const normalized = ip.toString();
    if (METADATA_ADDRESSES.has(normalized)) return `${normalized} is a cloud metadata address`;
    const range = ip.range();
    if (range === "unicast") return null;
    if (this.allowed.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return null;
    return `${normalized} is a ${describeRange(range)} address (allow it with network.allow_private)`;
  }

  /**
   * Resolves the URL's host and vets every address. Returns the address to connect to; throws
   * SsrfError when any address is refused (a mixed answer is itself a rebinding trick).
   */
  async vet(url: URL): Promise<ResolvedAddress> {
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new SsrfError(`${url.protocol} URLs are not allowed`);
    const host = url.hostname
      .replace(/^\[|\]$/g, "")
      .toLowerCase()
      .replace(/\.$/, "");
    if (METADATA_HOSTS.has(host)) throw new SsrfError(`${host} is a cloud metadata host`);
    let addresses: ResolvedAddress[];
    if (ipaddr.isValid(host)) {
      addresses = [{ address: host, family: ipaddr.parse(host).kind() === "ipv6" ? 6 : 4 }];
    } else {
      addresses = await this.lookup(host);
      if (addresses.length === 0) throw new Error(`${host} did not resolve`);
    }
    for (const a of addresses) {
      const why = this.refusal(a.address);
      if (why) throw new SsrfError(`refused ${host}: ${why}`);
    }
    return addresses[0];
  }
}

function describeRange(range: string): string {
  const names: Record<string, string> = {
    loopback: "loopback",
    private: "private",
    linkLocal: "link-local",
    uniqueLocal: "unique-local",
    carrierGradeNat: "carrier-grade NAT",
    multicast: "multicast",
    unspecified: "unspecified",
    broadcast: "broadcast",
    reserved: "reserved",
  };
  return names[range] ?? `non-public (${range})`;
}

/**
 * A `net.connect` lookup that answers every name with the vetted address: the socket goes
 * where the guard looked, whatever DNS says a moment later. Handles `all: true` (Node's
 * happy-eyeballs connect asks for a list).
 */
export function pinnedLookup(vetted: ResolvedAddress) {
  return (
    _hostname: string,
    options: { all?: boolean } | number | undefined,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (typeof options === "object" && options?.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  };
}
