/**
 * Terraform that exposes infrastructure: public S3 buckets (public ACLs, public access blocks
 * turned off, `Principal: "*"` policies), ingress open to the whole internet (AWS security
 * groups and rules, GCP firewalls, Azure network security rules) graded by port, storage
 * without encryption, and databases reachable from the internet.
 *
 * A small HCL block reader (blocks, attributes, multi-line values, heredocs, comments) gives
 * each attribute its resource; only attributes on added lines are evidence. Without the whole
 * file, each hunk is read alone, its resource taken from the hunk header when git put it there.
 */
import type { DiffLine, Prediction, Severity, SyncAnalyzer } from "../types.js";
import { contentOf, DiffIndex, isNotDeployed, makePrediction, safely, textLines } from "./predict.js";

interface Attr {
  value: string;
  line: number;
  endLine: number;
}

export interface HclBlock {
  type: string;
  labels: string[];
  start: number;
  end: number;
  attrs: Map<string, Attr>;
  children: HclBlock[];
}

/** Brackets opened minus closed, outside strings; `#`, `//` comments end the count. */
function balance(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if (c === "#" || (c === "/" && text[i + 1] === "/")) break;
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return depth;
}

/** Blocks and attributes of HCL lines (a hunk may start inside a block: its attributes go to the root). Never throws. */
export function parseHcl(lines: readonly string[]): HclBlock {
  const root: HclBlock = { type: "", labels: [], start: 0, end: lines.length - 1, attrs: new Map(), children: [] };
  const stack: HclBlock[] = [root];
  let inComment = false;
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i];
    if (inComment) {
      const close = text.indexOf("*/");
      if (close < 0) continue;
      inComment = false;
      text = text.slice(close + 2);
    }
    const open = text.indexOf("/*");
    if (open >= 0 && !text.slice(0, open).includes('"')) {
      if (text.indexOf("*/", open + 2) < 0) inComment = true;
      text = text.slice(0, open);
    }
    const t = text.trim();
    if (t === "" || t.startsWith("#") || t.startsWith("//")) continue;
    const top = stack[stack.length - 1];
    if (/^\}/.test(t)) {
      if (stack.length > 1) {
        top.end = i;
        stack.pop();
      }
      continue;
    }
    const attr = /^([\w-]+)\s*=\s*(.*)$/.exec(t);
    if (attr) {
      const name = attr[1];
      let value = attr[2];
      const start = i;
      const heredoc = /^<<-?\s*["']?(\w+)["']?\s*$/.exec(value.trim());
      if (heredoc) {
        for (let j = i + 1; j < lines.length; j++) {
          value += "\n" + lines[j];
          i = j;
          if (lines[j].trim() === heredoc[1]) break;
        }
      } else {
        let depth = balance(value);
        while (depth > 0 && i + 1 < lines.length && i - start < 400) {
          i++;
          value += "\n" + lines[i];
          depth += balance(lines[i]);
        }
      }
      top.attrs.set(name, { value, line: start, endLine: i });
      continue;
    }
    const header = /^([\w-]+)((?:\s+(?:"[^"]*"|[\w-]+))*)\s*\{\s*(.*?)\s*$/.exec(t);
    if (header) {
      const labels = (header[2].match(/"[^"]*"|[\w-]+/g) ?? []).map((l) => l.replace(/^"|"$/g, ""));
      const block: HclBlock = { type: header[1], labels, start: i, end: i, attrs: new Map(), children: [] };
      top.children.push(block);
      const rest = header[3];
      if (rest.endsWith("}")) {
        // One-line block: `ingress { from_port = 22 }` (several attributes are not split: enough here)
        const inner = /^([\w-]+)\s*=\s*(.*?)\s*\}$/.exec(rest);
        if (inner) block.attrs.set(inner[1], { value: inner[2], line: i, endLine: i });
      } else stack.push(block);
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------

function stringValue(raw: string | undefined): string | undefined {
  const m = raw === undefined ? null : /^\s*"([^"]*)"\s*(?:#.*|\/\/.*)?$/.exec(raw);
  return m ? m[1] : undefined;
}
function boolValue(raw: string | undefined): boolean | undefined {
  const m = raw === undefined ? null : /^\s*(true|false)\s*(?:#.*|\/\/.*)?$/.exec(raw);
  return m ? m[1] === "true" : undefined;
}
function numberValue(raw: string | undefined): number | undefined {
  const m = raw === undefined ? null : /^\s*"?(-?\d+)"?\s*(?:#.*|\/\/.*)?$/.exec(raw);
  return m ? Number(m[1]) : undefined;
}
function strings(raw: string | undefined): string[] {
  return raw === undefined ? [] : [...raw.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
}

const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const AZURE_WORLD = new Set(["*", "0.0.0.0/0", "::/0", "internet", "any"]);

const SENSITIVE_PORTS: Record<number, string> = {
  22: "SSH",
  23: "Telnet",
  135: "RPC",
  139: "NetBIOS",
  445: "SMB",
  1433: "SQL Server",
  1521: "Oracle",
  2375: "the Docker API",
  2376: "the Docker API",
  2379: "etcd",
  3306: "MySQL",
  3389: "RDP",
  5432: "PostgreSQL",
  5601: "Kibana",
  5900: "VNC",
  5984: "CouchDB",
  6379: "Redis",
  8500: "Consul",
  9092: "Kafka",
  9200: "Elasticsearch",
  9300: "Elasticsearch",
  10250: "the kubelet",
  11211: "Memcached",
  27017: "MongoDB",
};
const WEB_PORTS = new Set([80, 443, 8080, 8443]);

interface Hit {
  kind: string;
  at: DiffLine;
  prediction: string;
  confidence: number;
  severity: Severity;
  impact: string;
  recommendation: string;
  tags: string[];
}

type Added = (i: number) => DiffLine | undefined;

/** The first added line among an attribute's lines (then among `more` line ranges). */
function evidence(added: Added, ...ranges: ([number, number] | undefined)[]): DiffLine | undefined {
  for (const r of ranges) {
    if (!r) continue;
    for (let i = r[0]; i <= r[1]; i++) {
      const l = added(i);
      if (l) return l;
    }
  }
  return undefined;
}
const span = (a: Attr | undefined): [number, number] | undefined => (a ? [a.line, a.endLine] : undefined);

/** Ports a rule opens: a range (inclusive), everything, or unknown (variables). */
function exposure(ranges: [number, number][] | "all" | "unknown"): { label: string; confidence: number; severity: Severity; what: string } {
  if (ranges === "all" || (Array.isArray(ranges) && ranges.some(([a, b]) => a <= 0 && b >= 65535)))
    return {
      label: "every port",
      confidence: 0.9,
      severity: "critical",
      what: "every service on these hosts (SSH, databases, admin consoles) is reachable from the whole internet",
    };
  if (ranges === "unknown")
    return {
      label: "ports set by variables",
      confidence: 0.55,
      severity: "medium",
      what: "whatever these ports serve is reachable from the whole internet",
    };
  const sensitive: string[] = [];
  let onlyWeb = true;
  for (const [a, b] of ranges) {
    for (const [p, name] of Object.entries(SENSITIVE_PORTS)) if (Number(p) >= a && Number(p) <= b) sensitive.push(`${p} (${name})`);
    if (!(a === b && WEB_PORTS.has(a))) onlyWeb = false;
  }
  const label = ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ");
  if (sensitive.length > 0)
    return {
      label: `port ${label}`,
      confidence: 0.85,
      severity: "high",
      what: `${sensitive.slice(0, 3).join(", ")} ${sensitive.length === 1 ? "is" : "are"} reachable from the whole internet: bots scan for it within minutes and brute-force or exploit it`,
    };
  if (onlyWeb)
    return {
      label: `port ${label}`,
      confidence: 0.35,
      severity: "low",
      what: "a web port is reachable from the whole internet (expected for a public load balancer, not for an application server behind one)",
    };
  return {
    label: `port ${label}`,
    confidence: 0.6,
    severity: "medium",
    what: "whatever listens on it is reachable from the whole internet",
  };
}

function portRange(from: Attr | undefined, to: Attr | undefined, protocol: string | undefined): [number, number][] | "all" | "unknown" {
  if (protocol === "-1" || protocol === "all") return "all";
  const a = numberValue(from?.value);
  const b = numberValue(to?.value) ?? a;
  if (a === undefined || b === undefined) return from || to ? "unknown" : "all";
  return [[a, b]];
}

function portList(raw: string | undefined): [number, number][] | "all" | "unknown" {
  if (raw === undefined) return "all";
  const out: [number, number][] = [];
  for (const s of strings(raw)) {
    if (s === "*") return "all";
    const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
    if (m) out.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  if (out.length === 0) return /var\.|local\.|\$\{/.test(raw) ? "unknown" : "all";
  return out;
}

const OPEN_REC =
  "Restrict the source to known ranges (office/VPN CIDRs, a load balancer's security group, a bastion or SSM Session Manager instead of SSH), and keep databases in private subnets.";

function openIngress(hits: Hit[], at: DiffLine | undefined, where: string, cidr: string, ports: ReturnType<typeof portRange>): void {
  if (!at) return;
  const e = exposure(ports);
  hits.push({
    kind: "terraform-open-ingress",
    at,
    prediction: `${where} allows inbound traffic from \`${cidr}\` on ${e.label}: ${e.what}.`,
    confidence: e.confidence,
    severity: e.severity,
    impact: "Services exposed to the internet: brute force, exploitation of unpatched services, data theft.",
    recommendation: OPEN_REC,
    tags: ["terraform", "security", "network"],
  });
}

const FORCE_NEW: Record<string, string> = {
  storage_encrypted: "database",
  encrypted: "volume",
  at_rest_encryption_enabled: "cache cluster",
};

function unencrypted(hits: Hit[], added: Added, block: HclBlock, resource: string, wasTrue: Set<string>): void {
  for (const name of ["encrypted", "storage_encrypted", "at_rest_encryption_enabled"]) {
    const a = block.attrs.get(name);
    if (!a || boolValue(a.value) !== false) continue;
    const at = evidence(added, span(a));
    if (!at) continue;
    const replaced = wasTrue.has(name) && FORCE_NEW[name] && block.type === "resource";
    hits.push({
      kind: "terraform-unencrypted-storage",
      at,
      prediction: replaced
        ? `\`${name}\` goes from true to false on \`${resource}\`: it cannot change in place, so \`terraform apply\` destroys and recreates the ${FORCE_NEW[name]} (its data is lost unless restored from a snapshot), and the new one is unencrypted.`
        : `\`${resource}\` stores data unencrypted at rest (\`${name} = false\`): disks, snapshots and backups are readable by anyone who gets hold of them, and encryption cannot be switched on later without recreating the resource; compliance checks (PCI DSS, HIPAA, SOC 2, AWS Config) fail.`,
      confidence: replaced ? 0.9 : 0.8,
      severity: replaced ? "critical" : "medium",
      impact: replaced
        ? "Data loss and downtime during the replacement; unencrypted data afterwards."
        : "Data exposed through disks, snapshots and backups; failed audits.",
      recommendation: `Set \`${name} = true\` (with a KMS key where required); to encrypt an existing resource, migrate through an encrypted snapshot copy.`,
      tags: ["terraform", "security", "encryption"],
    });
  }
  const atRest = block.children.find((c) => c.type === "encrypt_at_rest");
  const enabled = atRest?.attrs.get("enabled");
  if (enabled && boolValue(enabled.value) === false) {
    const at = evidence(added, span(enabled));
    if (at)
      hits.push({
        kind: "terraform-unencrypted-storage",
        at,
        prediction: `\`${resource}\` stores its indexes unencrypted at rest: snapshots and disks are readable by anyone who gets hold of them, and compliance checks fail.`,
        confidence: 0.8,
        severity: "medium",
        impact: "Data exposed through disks and snapshots; failed audits.",
        recommendation: "Set `encrypt_at_rest { enabled = true }` (this requires a new domain for existing ones).",
        tags: ["terraform", "security", "encryption"],
      });
  }
}

function checkResource(hits: Hit[], added: Added, r: HclBlock, wasTrue: Set<string>, websiteBuckets: Set<string>): void {
  const type = r.labels[0] ?? "?";
  const name = `${type}.${r.labels[1] ?? "?"}`;
  const attr = (n: string) => r.attrs.get(n);

  // S3: public ACLs, public access blocks turned off, public policies
  if (type === "aws_s3_bucket" || type === "aws_s3_bucket_acl") {
    const acl = stringValue(attr("acl")?.value);
    if (acl === "public-read" || acl === "public-read-write") {
      const at = evidence(added, span(attr("acl")));
      const website =
        websiteBuckets.has(r.labels[1] ?? "") || r.children.some((c) => c.type === "website") || /website/i.test(r.labels[1] ?? "");
      if (at)
        hits.push({
          kind: "terraform-public-bucket",
          at,
          prediction:
            acl === "public-read-write"
              ? `\`${name}\` is public-read-write: anyone on the internet can list, download, overwrite and delete its objects, and upload anything (at your cost).`
              : `\`${name}\` is public-read: anyone on the internet can list and download every object in it${website ? " (it looks like a static website bucket, where that may be intended)" : ""}; private files put there later leak too.`,
          confidence: acl === "public-read-write" ? 0.9 : website ? 0.5 : 0.85,
          severity: acl === "public-read-write" ? "critical" : website ? "medium" : "high",
          impact: "Data leaks (and, for write access, tampering) visible to the whole internet.",
          recommendation:
            "Keep the bucket private with all four S3 Block Public Access settings on; serve public content through CloudFront with Origin Access Control, and share files with pre-signed URLs.",
          tags: ["terraform", "security", "storage"],
        });
    }
  }
  if (type === "aws_s3_bucket_public_access_block" || type === "aws_s3_account_public_access_block") {
    const off = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].filter(
      (n) => boolValue(attr(n)?.value) === false,
    );
    const at = evidence(added, ...off.map((n) => span(attr(n))));
    if (at && off.length > 0)
      hits.push({
        kind: "terraform-public-bucket",
        at,
        prediction: `\`${name}\` turns off S3 Block Public Access (${off.map((n) => `\`${n} = false\``).join(", ")}): a public ACL or bucket policy, added now or by mistake later, makes the data readable by the whole internet.`,
        confidence: 0.7,
        severity: "high",
        impact: "Nothing stops a bucket from becoming public; a single ACL or policy change leaks its data.",
        recommendation: "Keep all four settings `true`; serve public content through CloudFront with Origin Access Control instead.",
        tags: ["terraform", "security", "storage"],
      });
  }
  if (type === "aws_s3_bucket_policy") {
    const p = attr("policy");
    if (
      p &&
      /Principal["\s]*[=:]\s*(?:"\*"|\{\s*"?AWS"?\s*[=:]\s*"\*"\s*\})/.test(p.value) &&
      /Effect["\s]*[=:]\s*"Allow"/.test(p.value) &&
      !/Condition/.test(p.value)
    ) {
      const at = evidence(added, span(p));
      if (at)
        hits.push({
          kind: "terraform-public-bucket",
          at,
          prediction: `The policy of \`${name}\` allows \`Principal: "*"\` without a condition: anyone on the internet gets the listed S3 actions on the bucket.`,
          confidence: 0.75,
          severity: "high",
          impact: "Bucket contents readable (or writable) by anyone.",
          recommendation:
            "Grant access to specific principals (a CloudFront OAC, roles), or add conditions (`aws:SourceVpce`, `aws:PrincipalOrgID`).",
          tags: ["terraform", "security", "storage"],
        });
    }
  }

  // Ingress open to the world
  if (type === "aws_security_group") {
    for (const ing of r.children.filter((c) => c.type === "ingress")) {
      const cidrAttrs = [ing.attrs.get("cidr_blocks"), ing.attrs.get("ipv6_cidr_blocks")];
      const world = cidrAttrs.find((a) => strings(a?.value).some((c) => WORLD.has(c)));
      if (!world) continue;
      const at = evidence(added, span(world), span(ing.attrs.get("from_port")), span(ing.attrs.get("to_port")), [ing.start, ing.start]);
      openIngress(
        hits,
        at,
        `The security group \`${name}\``,
        strings(world.value).find((c) => WORLD.has(c)) as string,
        portRange(ing.attrs.get("from_port"), ing.attrs.get("to_port"), stringValue(ing.attrs.get("protocol")?.value)),
      );
    }
  }
  if (type === "aws_security_group_rule" && stringValue(attr("type")?.value) === "ingress") {
    const world = [attr("cidr_blocks"), attr("ipv6_cidr_blocks")].find((a) => strings(a?.value).some((c) => WORLD.has(c)));
    if (world)
      openIngress(
        hits,
        evidence(added, span(world), span(attr("from_port")), span(attr("to_port"))),
        `The security group rule \`${name}\``,
        strings(world.value).find((c) => WORLD.has(c)) as string,
        portRange(attr("from_port"), attr("to_port"), stringValue(attr("protocol")?.value)),
      );
  }
  if (type === "aws_vpc_security_group_ingress_rule") {
    const world = [attr("cidr_ipv4"), attr("cidr_ipv6")].find((a) => WORLD.has(stringValue(a?.value) ?? ""));
    if (world)
      openIngress(
        hits,
        evidence(added, span(world), span(attr("from_port")), span(attr("to_port"))),
        `The ingress rule \`${name}\``,
        stringValue(world.value) as string,
        portRange(attr("from_port"), attr("to_port"), stringValue(attr("ip_protocol")?.value)),
      );
  }
  if (type === "google_compute_firewall" && (stringValue(attr("direction")?.value) ?? "INGRESS").toUpperCase() === "INGRESS") {
    const src = attr("source_ranges");
    const cidr = strings(src?.value).find((c) => WORLD.has(c));
    if (src && cidr)
      for (const allow of r.children.filter((c) => c.type === "allow")) {
        const proto = stringValue(allow.attrs.get("protocol")?.value);
        openIngress(
          hits,
          evidence(added, span(src), span(allow.attrs.get("ports")), [allow.start, allow.start]),
          `The firewall \`${name}\``,
          cidr,
          proto === "all" ? "all" : portList(allow.attrs.get("ports")?.value),
        );
      }
  }
  const azureRules =
    type === "azurerm_network_security_rule"
      ? [r]
      : type === "azurerm_network_security_group"
        ? r.children.filter((c) => c.type === "security_rule")
        : [];
  for (const rule of azureRules) {
    const a = (n: string) => rule.attrs.get(n);
    if (
      (stringValue(a("direction")?.value) ?? "").toLowerCase() !== "inbound" ||
      (stringValue(a("access")?.value) ?? "").toLowerCase() !== "allow"
    )
      continue;
    const src = a("source_address_prefix");
    const prefix = stringValue(src?.value);
    if (!src || !prefix || !AZURE_WORLD.has(prefix.toLowerCase())) continue;
    const portAttr = a("destination_port_range") ?? a("destination_port_ranges");
    openIngress(
      hits,
      evidence(added, span(src), span(portAttr), [rule.start, rule.start]),
      `The network security rule \`${rule === r ? name : `${name}/${stringValue(a("name")?.value) ?? "?"}`}\``,
      prefix,
      portList(portAttr?.value),
    );
  }

  // Databases reachable from the internet
  if (/^(?:aws_db_instance|aws_rds_cluster_instance|aws_redshift_cluster|aws_dms_replication_instance|\?)$/.test(type)) {
    const pub = attr("publicly_accessible");
    if (pub && boolValue(pub.value) === true) {
      const at = evidence(added, span(pub));
      if (at)
        hits.push({
          kind: "terraform-public-database",
          at,
          prediction: `\`${name === "?.?" ? "This database" : name}\` gets a public IP address (\`publicly_accessible = true\`): with any permissive security group rule it is reachable from the internet, exposed to credential brute force and database exploits.`,
          confidence: type === "?" ? 0.75 : 0.85,
          severity: "high",
          impact: "The database, and the data in it, one misconfigured rule away from the internet.",
          recommendation:
            "Set `publicly_accessible = false`, keep the database in private subnets, and reach it through the application, a bastion or a VPN.",
          tags: ["terraform", "security", "database"],
        });
    }
  }

  unencrypted(hits, added, r, name, wasTrue);
  for (const c of r.children)
    if (/^(?:root_block_device|ebs_block_device|ebs)$/.test(c.type)) unencrypted(hits, added, c, `${name} (${c.type})`, wasTrue);
  for (const c of r.children.filter((x) => x.type === "block_device_mappings"))
    for (const e of c.children.filter((x) => x.type === "ebs")) unencrypted(hits, added, e, `${name} (block device)`, wasTrue);
}

function* resourcesOf(root: HclBlock): Generator<HclBlock> {
  for (const c of root.children) if (c.type === "resource") yield c;
}

/** The resource a hunk starts inside, from git's hunk header (`@@ ... @@ resource "aws_db_instance" "main" {`). */
function resourceFromHeader(header: string): string[] | undefined {
  const m = /@@[^@]*@@\s*resource\s+"([\w-]+)"\s+"([\w-]+)"/.exec(header);
  return m ? [m[1], m[2]] : undefined;
}

export const terraformPredictor: SyncAnalyzer = {
  name: "terraform",
  analyze(input) {
    const predictions: Prediction[] = [];
    for (const file of input.files) {
      if (file.binary || file.hunks.length === 0 || !/\.tf$/i.test(file.path) || isNotDeployed(file.path)) continue;
      safely(() => {
        const hits: Hit[] = [];
        const wasTrue = new Set<string>();
        for (const h of file.hunks)
          for (const l of h.lines) {
            const m = l.kind === "del" ? /^\s*([\w-]+)\s*=\s*true\b/.exec(l.content) : null;
            if (m) wasTrue.add(m[1]);
          }
        const content = contentOf(input, file.path);
        const whole = content !== undefined ? textLines(content) : undefined;
        const agrees =
          whole !== undefined &&
          file.hunks.every((h) => h.lines.every((l) => l.kind === "del" || whole[(l.newLine ?? 0) - 1] === l.content));
        const views: { lines: string[]; added: Added; header?: string[] }[] = [];
        if (whole && agrees) {
          const index = new DiffIndex(file);
          views.push({ lines: whole, added: (i) => index.changed("new", i + 1) });
        } else
          for (const h of file.hunks) {
            const side = h.lines.filter((l) => l.kind !== "del");
            views.push({
              lines: side.map((l) => l.content),
              added: (i) => (side[i]?.kind === "add" ? side[i] : undefined),
              header: resourceFromHeader(h.header),
            });
          }
        for (const v of views) {
          const root = parseHcl(v.lines);
          const websiteBuckets = new Set<string>();
          for (const c of root.children)
            if (c.type === "resource" && c.labels[0] === "aws_s3_bucket_website_configuration") {
              const b = /aws_s3_bucket\.([\w-]+)\./.exec(c.attrs.get("bucket")?.value ?? "");
              if (b) websiteBuckets.add(b[1]);
            }
          for (const r of resourcesOf(root)) checkResource(hits, v.added, r, wasTrue, websiteBuckets);
          // A hunk that starts inside a resource: its top-level attributes belong to that resource.
          if (root.attrs.size > 0 || root.children.some((c) => c.type !== "resource")) {
            const synthetic: HclBlock = {
              ...root,
              type: "resource",
              labels: v.header ?? ["?", "?"],
              children: root.children.filter((c) => c.type !== "resource"),
            };
            checkResource(hits, v.added, synthetic, wasTrue, websiteBuckets);
          }
        }
        const seen = new Set<string>();
        for (const h of hits) {
          const key = `${h.kind}:${h.at.newLine}:${h.prediction}`;
          if (seen.has(key)) continue;
          seen.add(key);
          predictions.push(makePrediction({ ...h, path: file.path, identity: `${h.at.content}\u0000${h.prediction}` }));
        }
      });
    }
    return { findings: [], predictions };
  },
};
