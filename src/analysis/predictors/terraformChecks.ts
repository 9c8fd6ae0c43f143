/**
 * The Terraform checks, one resource at a time (see terraform.ts): public S3 buckets (public
 * ACLs, public access blocks turned off, `Principal: "*"` policies), ingress open to the whole
 * internet (AWS security groups and rules, GCP firewalls, Azure network security rules) graded by
 * port, storage without encryption, and databases reachable from the internet. Only attributes on
 * added lines are evidence: each check reports the first added line among the attribute's lines.
 */
import type { DiffLine, Severity } from "../types.js";
import { boolValue, numberValue, stringValue, strings, type Attr, type HclBlock } from "./terraformHcl.js";

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

export interface Hit {
  kind: string;
  at: DiffLine;
  prediction: string;
  confidence: number;
  severity: Severity;
  impact: string;
  recommendation: string;
  tags: string[];
}

export type Added = (i: number) => DiffLine | undefined;

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

export function checkResource(hits: Hit[], added: Added, r: HclBlock, wasTrue: Set<string>, websiteBuckets: Set<string>): void {
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
