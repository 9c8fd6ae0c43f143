/** The pure side of coordination: sensitive resources read from a diff, and CODEOWNERS parsing and matching. */
import { parsePatch } from "../../../src/analysis/diff.js";
import { ownersOf, ownersOfPaths, parseCodeowners } from "../../../src/github/coordination/coordinationCodeowners.js";
import { changedRanges, extractResources, sharedResources, tablesInLine } from "../../../src/github/coordination/coordinationResources.js";

const patch = (...lines: string[]) => lines.join("\n");

describe("tables changed by migrations", () => {
  it.each([
    ["ALTER TABLE users DROP COLUMN email;", ["users"]],
    ['ALTER TABLE IF EXISTS ONLY public."Orders" ADD COLUMN note text;', ["orders"]],
    ["CREATE TABLE IF NOT EXISTS `line_items` (id int);", ["line_items"]],
    ["DROP TABLE [dbo].[Carts];", ["carts"]],
    ["CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);", ["users"]],
    ["UPDATE accounts SET plan = 'free';", ["accounts"]],
    ["    add_column :users, :nickname, :string", ["users"]],
    ["    create_table :invoices do |t|", ["invoices"]],
    ["    op.drop_column('users', 'email')", ["users"]],
    ["    await knex.schema.alterTable('orders', (t) => {", ["orders"]],
    ["    await queryInterface.addColumn('Users', 'age', Sequelize.INTEGER);", ["users"]],
    ["        migrations.AddField(model_name='customer', name='vip', field=models.BooleanField()),", ["customer"]],
    ["-- ALTER TABLE users is done later", []],
    ["SELECT * FROM users;", []],
  ])("%s", (line, tables) => {
    expect(tablesInLine(line)).toEqual(tables);
  });
});

describe("resources of a diff", () => {
  it("finds tables in migration files, API paths in OpenAPI specs, GraphQL types, protobuf messages and code regions", () => {
    const files = [
      parsePatch(
        "db/migrations/001.sql",
        patch("@@ -0,0 +1,2 @@", "+ALTER TABLE users DROP COLUMN email;", "+CREATE INDEX o_idx ON orders (id);"),
        { status: "added" },
      ),
      parsePatch(
        "api/openapi.yaml",
        patch(
          "@@ -10,6 +10,7 @@ paths:",
          "   /users/{id}:",
          "     get:",
          "       parameters:",
          "-        - $ref: '#/p/Id'",
          "+        - $ref: '#/p/UserId'",
          "+        - $ref: '#/p/Expand'",
          "   /orders:",
        ),
      ),
      // The path key is above the hunk: found in the whole file.
      parsePatch(
        "openapi.json",
        patch("@@ -4,3 +4,3 @@", '     "get": {', '-      "operationId": "a"', '+      "operationId": "b"', "     }"),
      ),
      parsePatch("schema/app.graphql", patch("@@ -1,4 +1,5 @@", " type User {", "   id: ID!", "+  nickname: String", " }")),
      parsePatch("proto/shop.proto", patch("@@ -3,3 +3,4 @@", " message Order {", "   string id = 1;", "+  string note = 2;", " }")),
      parsePatch("src/users/service.ts", patch("@@ -20,4 +20,5 @@", " a", "-b", "+c", "+d", " e")),
      parsePatch("src/users/service.test.ts", patch("@@ -1,1 +1,2 @@", " a", "+b")),
      parsePatch("README.md", patch("@@ -1,1 +1,2 @@", " a", "+b")),
    ];
    const contents = new Map([
      ["openapi.json", '{\n  "paths": {\n    "/carts": {\n     "get": {\n      "operationId": "b"\n     }\n  }\n}\n'],
    ]);
    const resources = extractResources(files, contents);
    expect(resources.map((r) => r.key).sort()).toEqual(
      [
        "api:/carts",
        "api:/users/{id}",
        "graphql:User",
        "proto:message Order",
        "region:src/users/service.ts",
        "table:orders",
        "table:users",
      ].sort(),
    );
    expect(resources.find((r) => r.kind === "region")!.ranges).toEqual([[21, 21]]); // line 21 replaced by two lines
  });

  it("computes changed regions in the base file's numbering and compares them within a few lines", () => {
    const a = parsePatch("src/a.ts", patch("@@ -40,3 +40,3 @@", " x", "-y", "+z", " w"));
    const b = parsePatch("src/a.ts", patch("@@ -44,2 +44,3 @@", " p", "+q", " r"));
    const c = parsePatch("src/a.ts", patch("@@ -120,2 +120,3 @@", " p", "+q", " r"));
    expect(changedRanges(a)).toEqual([[41, 41]]);
    expect(changedRanges(b)).toEqual([[44, 44]]);
    const [ra, rb, rc] = [a, b, c].map((f) => extractResources([f]));
    expect(sharedResources(ra, rb)).toEqual([
      { key: "region:src/a.ts", kind: "region", label: "`src/a.ts` around lines 41-44", severity: "medium" },
    ]);
    expect(sharedResources(ra, rc)).toEqual([]);
    const t1 = extractResources([parsePatch("db/migrate/1_a.rb", patch("@@ -0,0 +1 @@", "+add_column :users, :a, :string"))]);
    const t2 = extractResources([parsePatch("db/migrate/2_b.rb", patch("@@ -0,0 +1 @@", "+remove_column :users, :b"))]);
    expect(sharedResources(t1, t2)).toEqual([{ key: "table:users", kind: "table", label: "table `users`", severity: "high" }]);
  });
});

describe("CODEOWNERS", () => {
  const rules = parseCodeowners(
    [
      "# default owners",
      "*       @octo-org/everyone",
      "*.js    @octo-org/frontend   # js anywhere",
      "/db/    @octo-org/dba dba@example.com",
      "docs/*  @octo-org/docs",
      "apps/   @octo-org/apps",
      "/build/logs/ ",
      "!/secret @nobody",
    ].join("\n"),
  );

  it("takes the last matching pattern, like GitHub", () => {
    expect(ownersOf(rules, "src/index.js")).toEqual(["@octo-org/frontend"]);
    expect(ownersOf(rules, "db/migrations/1.js")).toEqual(["@octo-org/dba", "dba@example.com"]);
    expect(ownersOf(rules, "src/db/x.py")).toEqual(["@octo-org/everyone"]); // /db/ is anchored
    expect(ownersOf(rules, "docs/intro.md")).toEqual(["@octo-org/docs"]);
    expect(ownersOf(rules, "docs/guides/deep.md")).toEqual(["@octo-org/everyone"]); // docs/* is not recursive
    expect(ownersOf(rules, "services/apps/main.go")).toEqual(["@octo-org/apps"]); // apps/ matches at any depth
    expect(ownersOf(rules, "build/logs/today.log")).toEqual([]); // a pattern with no owners
    expect(ownersOf(rules, ".github/workflows/ci.yml")).toEqual(["@octo-org/everyone"]);
  });

  it("groups a pull request's paths by owner", () => {
    const owned = ownersOfPaths(rules, ["src/a.js", "db/m.sql", "src/b.js"]);
    expect([...owned]).toEqual([
      ["@octo-org/frontend", ["src/a.js", "src/b.js"]],
      ["@octo-org/dba", ["db/m.sql"]],
      ["dba@example.com", ["db/m.sql"]],
    ]);
  });
});
