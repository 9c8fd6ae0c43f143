/**
 * Terraform that exposes infrastructure: public S3 buckets (public ACLs, public access blocks
 * turned off, `Principal: "*"` policies), ingress open to the whole internet (AWS security
 * groups and rules, GCP firewalls, Azure network security rules) graded by port, storage
 * without encryption, and databases reachable from the internet.
 *
 * A small HCL block reader (blocks, attributes, multi-line values, heredocs, comments) gives
 * each attribute its resource; only attributes on added lines are evidence. Without the whole
 * file, each hunk is read alone, its resource taken from the hunk header when git put it there.
 *
 * The reader is terraformHcl.ts and the checks are terraformChecks.ts; this file picks the
 * views (the whole file, or each hunk), reads them and keeps each hit once.
 */
import type { Prediction, SyncAnalyzer } from "../types.js";
import { contentOf, DiffIndex, isNotDeployed, makePrediction, safely, textLines } from "./predict.js";
import { checkResource, type Added, type Hit } from "./terraformChecks.js";
import { parseHcl, type HclBlock } from "./terraformHcl.js";

export { parseHcl, type HclBlock } from "./terraformHcl.js";

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
