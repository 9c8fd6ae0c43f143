import { parseHcl, terraformPredictor } from "../../../src/analysis/predictors/terraform.js";
import { change, file, predict, predictChanges } from "./helpers.js";

const created = (path: string, text: string) => predictChanges(terraformPredictor, [change(path, "", text)]);
const edited = (path: string, before: string, after: string, withContents = true) =>
  predictChanges(terraformPredictor, [change(path, before, after)], withContents);
const kinds = (preds: { kind: string }[]) => preds.map((p) => p.kind);

const STORAGE = `resource "aws_s3_bucket" "uploads" {
  bucket = "acme-prod-uploads"

  tags = {
    Team        = "payments"
    Environment = "prod"
  }
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_acl" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  acl    = "private"
}
`;

describe("terraform predictor: buckets", () => {
  it("a private bucket predicts nothing", () => {
    expect(created("infra/storage.tf", STORAGE)).toEqual([]);
  });

  it("flags public ACLs and public access blocks turned off", () => {
    const after = STORAGE.replace('acl    = "private"', 'acl    = "public-read"').replace(
      "block_public_policy     = true",
      "block_public_policy     = false",
    );
    const preds = edited("infra/storage.tf", STORAGE, after);
    expect(preds.map((p) => [p.kind, p.line, p.severity])).toEqual([
      ["terraform-public-bucket", 14, "high"],
      ["terraform-public-bucket", 21, "high"],
    ]);
    expect(preds[1].prediction).toContain("aws_s3_bucket_acl.uploads");
    expect(preds[0].tags).toEqual(["terraform", "security", "storage"]);
    expect(edited("infra/storage.tf", STORAGE, STORAGE.replace('acl    = "private"', 'acl    = "public-read-write"'))[0]).toMatchObject({
      severity: "critical",
      confidence: 0.9,
    });
  });

  it('is less sure about a static website bucket, and flags Principal "*" policies without conditions', () => {
    const site =
      'resource "aws_s3_bucket" "site" {\n  bucket = "acme-www"\n  acl    = "public-read"\n}\n\nresource "aws_s3_bucket_website_configuration" "site" {\n  bucket = aws_s3_bucket.site.id\n  index_document {\n    suffix = "index.html"\n  }\n}\n';
    expect(created("web/site.tf", site)[0]).toMatchObject({ confidence: 0.5, severity: "medium" });
    const policy =
      'resource "aws_s3_bucket_policy" "public" {\n  bucket = aws_s3_bucket.uploads.id\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n      Effect    = "Allow"\n      Principal = "*"\n      Action    = ["s3:GetObject"]\n      Resource  = "${aws_s3_bucket.uploads.arn}/*"\n    }]\n  })\n}\n';
    expect(kinds(created("infra/policy.tf", policy))).toEqual(["terraform-public-bucket"]);
    const scoped = policy.replace(
      '      Resource  = "${aws_s3_bucket.uploads.arn}/*"\n',
      '      Resource  = "${aws_s3_bucket.uploads.arn}/*"\n      Condition = { StringEquals = { "aws:SourceVpce" = "vpce-1a2b3c4d" } }\n',
    );
    expect(created("infra/policy.tf", scoped)).toEqual([]);
  });
});

const SG = `resource "aws_security_group" "app" {
  name   = "app"
  vpc_id = var.vpc_id

  ingress {
    description     = "HTTP from the load balancer"
    from_port       = 8080
    to_port         = 8080
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`;

describe("terraform predictor: ingress", () => {
  it("grades world-open ingress by port: SSH and databases above web ports", () => {
    const ssh = SG.replace(
      "  egress {",
      '  ingress {\n    description = "SSH"\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n\n  egress {',
    );
    const [p, ...rest] = edited("infra/sg.tf", SG, ssh);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ kind: "terraform-open-ingress", confidence: 0.85, severity: "high" });
    expect(p.prediction).toContain("22 (SSH)");
    const web = SG.replace(
      "  egress {",
      '  ingress {\n    from_port        = 443\n    to_port          = 443\n    protocol         = "tcp"\n    ipv6_cidr_blocks = ["::/0"]\n  }\n\n  egress {',
    );
    expect(edited("infra/sg.tf", SG, web)[0]).toMatchObject({ confidence: 0.35, severity: "low" });
    const all = SG.replace(
      "  egress {",
      '  ingress {\n    from_port   = 0\n    to_port     = 0\n    protocol    = "-1"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n\n  egress {',
    );
    expect(edited("infra/sg.tf", SG, all)[0]).toMatchObject({ confidence: 0.9, severity: "critical" });
    const range = SG.replace(
      "    from_port       = 8080\n    to_port         = 8080\n",
      "    from_port       = 3000\n    to_port         = 6000\n",
    ).replace("    security_groups = [aws_security_group.alb.id]\n", '    cidr_blocks     = ["0.0.0.0/0"]\n');
    expect(edited("infra/sg.tf", SG, range)[0].prediction).toMatch(/3306 \(MySQL\), 3389 \(RDP\), 5432 \(PostgreSQL\)/);
  });

  it("egress to the world and private CIDRs are not ingress problems", () => {
    expect(created("infra/sg.tf", SG)).toEqual([]);
    const vpcOnly = SG.replace(
      "  egress {",
      '  ingress {\n    from_port   = 5432\n    to_port     = 5432\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/16"]\n  }\n\n  egress {',
    );
    expect(edited("infra/sg.tf", SG, vpcOnly)).toEqual([]);
  });

  it("reads rule resources, GCP firewalls and Azure rules", () => {
    const rule =
      'resource "aws_security_group_rule" "rdp" {\n  type              = "ingress"\n  from_port         = 3389\n  to_port           = 3389\n  protocol          = "tcp"\n  cidr_blocks       = ["0.0.0.0/0"]\n  security_group_id = aws_security_group.win.id\n}\n';
    expect(created("infra/rules.tf", rule)[0].prediction).toContain("3389 (RDP)");
    const v2 =
      'resource "aws_vpc_security_group_ingress_rule" "redis" {\n  security_group_id = aws_security_group.cache.id\n  cidr_ipv4         = "0.0.0.0/0"\n  from_port         = 6379\n  to_port           = 6379\n  ip_protocol       = "tcp"\n}\n';
    expect(created("infra/rules.tf", v2)[0]).toMatchObject({ severity: "high" });
    const gcp =
      'resource "google_compute_firewall" "ssh" {\n  name    = "allow-ssh"\n  network = google_compute_network.main.name\n  allow {\n    protocol = "tcp"\n    ports    = ["22"]\n  }\n  source_ranges = ["0.0.0.0/0"]\n}\n';
    expect(kinds(created("gcp/fw.tf", gcp))).toEqual(["terraform-open-ingress"]);
    const azure =
      'resource "azurerm_network_security_rule" "sql" {\n  name                        = "sql"\n  priority                    = 100\n  direction                   = "Inbound"\n  access                      = "Allow"\n  protocol                    = "Tcp"\n  source_port_range           = "*"\n  destination_port_range      = "1433"\n  source_address_prefix       = "Internet"\n  destination_address_prefix  = "*"\n}\n';
    expect(created("azure/nsg.tf", azure)[0].prediction).toContain("1433 (SQL Server)");
    expect(created("azure/nsg.tf", azure.replace('"Allow"', '"Deny"'))).toEqual([]);
  });
});

const DB = `resource "aws_db_instance" "main" {
  identifier          = "orders"
  engine              = "postgres"
  engine_version      = "16.2"
  instance_class      = "db.r6g.large"
  allocated_storage   = 200
  storage_encrypted   = true
  publicly_accessible = false
  db_subnet_group_name = aws_db_subnet_group.private.name
}
`;

describe("terraform predictor: databases and encryption", () => {
  it("flags a database made public, and encryption turned off (which replaces it)", () => {
    const after = DB.replace("publicly_accessible = false", "publicly_accessible = true").replace(
      "storage_encrypted   = true",
      "storage_encrypted   = false",
    );
    const preds = edited("infra/rds.tf", DB, after);
    expect(preds.map((p) => [p.kind, p.severity, p.confidence])).toEqual([
      ["terraform-public-database", "high", 0.85],
      ["terraform-unencrypted-storage", "critical", 0.9],
    ]);
    expect(preds[1].prediction).toMatch(/destroys and recreates the database/);
  });

  it("flags new unencrypted volumes and block devices, not encrypted ones", () => {
    const ebs =
      'resource "aws_ebs_volume" "data" {\n  availability_zone = "eu-west-1a"\n  size              = 500\n  encrypted         = false\n}\n\nresource "aws_instance" "worker" {\n  ami           = data.aws_ami.al2023.id\n  instance_type = "m7g.large"\n  root_block_device {\n    volume_size = 50\n    encrypted   = false\n  }\n}\n';
    const preds = created("infra/ec2.tf", ebs);
    expect(preds.map((p) => [p.kind, p.line, p.severity])).toEqual([
      ["terraform-unencrypted-storage", 4, "medium"],
      ["terraform-unencrypted-storage", 12, "medium"],
    ]);
    expect(created("infra/ec2.tf", ebs.replace(/encrypted(\s+)= false/g, "encrypted$1= true"))).toEqual([]);
  });

  it("works from a hunk alone, using git's hunk header for the resource", () => {
    const f = file(
      "infra/rds.tf",
      [
        "   allocated_storage   = 200",
        "-  publicly_accessible = false",
        "+  publicly_accessible = true",
        "   db_subnet_group_name = aws_db_subnet_group.private.name",
      ],
      6,
    );
    f.hunks[0].header = '@@ -6,3 +6,3 @@ resource "aws_db_instance" "main" {';
    const [p] = predict(terraformPredictor, [f]);
    expect(p).toMatchObject({ kind: "terraform-public-database", confidence: 0.85, line: 7 });
    expect(p.prediction).toContain("aws_db_instance.main");
  });

  it("ignores examples, comments, variables files and malformed HCL", () => {
    expect(created("examples/complete/main.tf", DB.replace("publicly_accessible = false", "publicly_accessible = true"))).toEqual([]);
    expect(created("infra/rds.tf", DB.replace("publicly_accessible = false", "# publicly_accessible = true"))).toEqual([]);
    expect(created("infra/rds.tfvars", "publicly_accessible = true\n")).toEqual([]);
    expect(() =>
      created("infra/broken.tf", 'resource "aws_security_group" "x" {\n  ingress {\n    cidr_blocks = ["0.0.0.0/0"\n  from_port = \n}}}\n'),
    ).not.toThrow();
  });

  it("parses blocks, multi-line values and heredocs", () => {
    const root = parseHcl([
      'resource "a" "b" {',
      "  list = [",
      '    "x",',
      "  ]",
      "  doc = <<EOF",
      "{ not a block",
      "EOF",
      "  inner {",
      "    k = 1",
      "  }",
      "}",
    ]);
    const r = root.children[0];
    expect(r.labels).toEqual(["a", "b"]);
    expect(r.attrs.get("list")).toMatchObject({ line: 1, endLine: 3 });
    expect(r.attrs.get("doc")).toMatchObject({ line: 4, endLine: 6 });
    expect(r.children.map((c) => [c.type, c.attrs.get("k")?.value])).toEqual([["inner", "1"]]);
  });
});
