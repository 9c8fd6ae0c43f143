import { migrationsPredictor } from "../../../src/analysis/predictors/migrations.js";
import { added, change, file, predict, predictChanges } from "./helpers.js";

const run = (path: string, code: string, others: { path: string; lines: string[] }[] = []) =>
  predict(migrationsPredictor, [file(path, added(code)), ...others.map((o) => file(o.path, o.lines))]);
const kinds = (path: string, code: string, others: { path: string; lines: string[] }[] = []) => run(path, code, others).map((p) => p.kind);

describe("migrations predictor: SQL statements", () => {
  it("anchors a multi-line ALTER TABLE on the clause that drops or renames", () => {
    const preds = run(
      "db/migrations/20240301120000_cleanup_users.sql",
      [
        "-- Users no longer have a nickname; see #412",
        "ALTER TABLE users",
        "  DROP COLUMN nickname,",
        "  RENAME COLUMN login TO username;",
      ].join("\n"),
    );
    expect(preds.map((p) => [p.kind, p.line])).toEqual([
      ["migration-drop-column", 3],
      ["migration-rename", 4],
    ]);
    expect(preds[0].prediction).toContain("`nickname` of `users`");
    expect(preds[0].tags).toEqual(["database", "migration", "breaking-change", "data-loss"]);
  });

  it("ADD COLUMN ... NOT NULL without a default, and its safe twins", () => {
    const [p] = run("migrations/0042_tenant.sql", "ALTER TABLE orders\n  ADD COLUMN tenant_id bigint NOT NULL REFERENCES tenants(id);");
    expect(p).toMatchObject({ kind: "migration-not-null", line: 2, confidence: 0.8, severity: "high" });
    expect(p.prediction).toMatch(/previous release/);
    expect(kinds("migrations/0042_tenant.sql", "ALTER TABLE orders ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;")).toEqual([]);
    expect(kinds("migrations/0042_tenant.sql", "ALTER TABLE orders ADD COLUMN id bigserial NOT NULL;")).toEqual([]);
    expect(
      kinds("migrations/0042_tenant.sql", "ALTER TABLE orders ADD COLUMN total numeric NOT NULL GENERATED ALWAYS AS (price * qty) STORED;"),
    ).toEqual([]);
    expect(kinds("migrations/0042_tenant.sql", "ALTER TABLE orders ADD COLUMN note text;")).toEqual([]);
    expect(
      kinds("migrations/0042_tenant.sql", "ALTER TABLE orders ADD CONSTRAINT orders_total_nn CHECK (total IS NOT NULL) NOT VALID;"),
    ).toEqual([]);
    // A table created by the same migration is empty: nothing to fail on.
    expect(
      kinds(
        "migrations/0043_audit.sql",
        "CREATE TABLE audit (id bigserial PRIMARY KEY);\nALTER TABLE audit ADD COLUMN actor text NOT NULL;",
      ),
    ).toEqual([]);
  });

  it("SET NOT NULL is less certain after a backfill in the same migration", () => {
    expect(run("migrations/0050.sql", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;")[0]).toMatchObject({
      kind: "migration-not-null",
      confidence: 0.7,
    });
    const [p] = run(
      "migrations/0050.sql",
      "UPDATE users SET email = concat(id, '@invalid') WHERE email IS NULL;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    );
    expect(p).toMatchObject({ kind: "migration-not-null", line: 2, confidence: 0.55 });
  });

  it("CREATE INDEX without CONCURRENTLY on PostgreSQL", () => {
    const pg = ['CREATE INDEX "Order_customerId_idx" ON "Order"("customerId");', 'ALTER TABLE "Order" ADD COLUMN "meta" JSONB;'].join("\n");
    const [p, ...rest] = run("prisma/migrations/20240301_order_idx/migration.sql", pg);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ kind: "migration-blocking-index", line: 1, confidence: 0.75, severity: "medium" });
    expect(p.prediction).toMatch(/INSERT, UPDATE and DELETE/);
    expect(p.tags).toEqual(["database", "migration", "downtime"]);
    expect(kinds("prisma/migrations/20240301_order_idx/migration.sql", pg.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY"))).toEqual(
      [],
    );
    // Indexes on a table the migration creates lock nobody out.
    expect(
      kinds(
        "migrations/0001_init.sql",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint);\nCREATE INDEX orders_customer_idx ON orders (customer_id);",
      ),
    ).toEqual([]);
    // MySQL (backticks, InnoDB) builds indexes online: not this prediction.
    expect(
      kinds("migrations/0002.sql", "CREATE INDEX `idx_customer` ON `orders` (`customer_id`);\nALTER TABLE `orders` ENGINE=InnoDB;"),
    ).toEqual([]);
  });

  it("does not take a schema dump's indexes for index builds", () => {
    expect(
      kinds(
        "db/structure.sql",
        "CREATE INDEX index_users_on_email ON public.users USING btree (email);\nSELECT pg_catalog.set_config('search_path', '', false);",
      ),
    ).toEqual([]);
  });

  it("is less sure when nothing says PostgreSQL, and sure when another file of the PR does", () => {
    expect(run("migrations/0003.sql", "CREATE UNIQUE INDEX users_email_idx ON users (email);")[0]).toMatchObject({
      confidence: 0.5,
      severity: "low",
    });
    const compose = { path: "docker-compose.yml", lines: ["   db:", "-    image: postgres:15", "+    image: postgres:16"] };
    expect(run("migrations/0003.sql", "CREATE UNIQUE INDEX users_email_idx ON users (email);", [compose])[0]).toMatchObject({
      confidence: 0.75,
      severity: "medium",
    });
  });

  it("type narrowing, with the previous type from the schema dump in the same PR", () => {
    const structure = {
      path: "db/structure.sql",
      lines: [
        " CREATE TABLE public.users (",
        "     id bigint NOT NULL,",
        "-    display_name character varying(255),",
        "+    display_name character varying(50),",
        "     email text",
      ],
    };
    const [p] = run("db/migrations/20240302_shorten.sql", "ALTER TABLE users ALTER COLUMN display_name TYPE varchar(50);", [structure]);
    expect(p).toMatchObject({ kind: "migration-type-narrowing", confidence: 0.85, severity: "high" });
    expect(p.prediction).toContain("`character varying(255)` to `varchar(50)`");
    // Unknown previous type: a type change, less sure.
    expect(run("db/migrations/20240302_shorten.sql", "ALTER TABLE users ALTER COLUMN display_name TYPE varchar(50);")[0]).toMatchObject({
      kind: "migration-type-change",
      confidence: 0.6,
    });
    expect(kinds("db/migrations/x.sql", "ALTER TABLE users MODIFY COLUMN bio VARCHAR(100) NOT NULL;")).toEqual(["migration-type-change"]);
    expect(kinds("db/migrations/x.sql", "ALTER TABLE users ALTER COLUMN age SET DATA TYPE smallint;")).toEqual(["migration-type-change"]);
  });

  it("widening types are not predictions", () => {
    expect(kinds("db/migrations/x.sql", "ALTER TABLE users ALTER COLUMN display_name TYPE text;")).toEqual([]);
    expect(kinds("db/migrations/x.sql", "ALTER TABLE events ALTER COLUMN id TYPE bigint;")).toEqual([]);
    const structure = {
      path: "db/structure.sql",
      lines: ["-    display_name character varying(50),", "+    display_name character varying(255),"],
    };
    expect(kinds("db/migrations/x.sql", "ALTER TABLE users ALTER COLUMN display_name TYPE varchar(255);", [structure])).toEqual([]);
    const schemaRb = {
      path: "db/schema.rb",
      lines: ['   create_table "users" do |t|', '-    t.integer "visits"', '+    t.bigint "visits"'],
    };
    expect(kinds("db/migrations/x.sql", "ALTER TABLE users ALTER COLUMN visits TYPE bigint;", [schemaRb])).toEqual([]);
  });

  it("ignores comments, string literals and block comments", () => {
    expect(kinds("migrations/0060.sql", "-- TODO: DROP TABLE legacy_sessions once the mobile app stops reading it\nSELECT 1;")).toEqual([]);
    expect(
      kinds("migrations/0060.sql", "INSERT INTO audit_log (message) VALUES ('DROP TABLE users; ALTER TABLE x DROP COLUMN y');"),
    ).toEqual([]);
    expect(kinds("migrations/0060.sql", "/*\nALTER TABLE users DROP COLUMN email;\n*/\nCREATE TABLE t (id int);")).toEqual([]);
    expect(
      kinds("migrations/0060.sql", "CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  EXECUTE 'x';\nEND;\n$$ LANGUAGE plpgsql;"),
    ).toEqual([]);
  });

  it("ignores test fixtures, seeds, docs, undo migrations and table rebuilds", () => {
    expect(kinds("test/fixtures/schema.sql", "DROP TABLE IF EXISTS users;")).toEqual([]);
    expect(kinds("spec/fixtures/migrations/001.sql", "ALTER TABLE users DROP COLUMN email;")).toEqual([]);
    expect(kinds("docs/examples/upgrade.sql", "ALTER TABLE users DROP COLUMN email;")).toEqual([]);
    expect(kinds("db/seeds.sql", "DROP TABLE IF EXISTS demo_users;")).toEqual([]);
    expect(kinds("src/main/resources/db/migration/U7__drop_email.sql", "ALTER TABLE users DROP COLUMN email;")).toEqual([]);
    // A dump outside migrations: DROP then CREATE of the same table.
    expect(kinds("db/schema.sql", "DROP TABLE IF EXISTS users;\nCREATE TABLE users (id serial PRIMARY KEY);")).toEqual([]);
    // Prisma's SQLite table rebuild.
    const rebuild = [
      "-- RedefineTables",
      "PRAGMA foreign_keys=OFF;",
      'CREATE TABLE "new_User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL);',
      'INSERT INTO "new_User" ("email", "id") SELECT "email", "id" FROM "User";',
      'DROP TABLE "User";',
      'ALTER TABLE "new_User" RENAME TO "User";',
      "PRAGMA foreign_keys=ON;",
    ].join("\n");
    expect(kinds("prisma/migrations/20240303_user/migration.sql", rebuild)).toEqual([]);
    // A staging table the migration creates and drops.
    expect(
      kinds("migrations/0070.sql", "CREATE TABLE tmp_ids (id bigint);\nINSERT INTO tmp_ids SELECT id FROM users;\nDROP TABLE tmp_ids;"),
    ).toEqual([]);
  });

  it("a DROP then CREATE of an existing table inside a migration is a destructive recreate", () => {
    expect(
      run("migrations/0071.sql", "DROP TABLE IF EXISTS settings;\nCREATE TABLE settings (key text PRIMARY KEY, value text);")[0],
    ).toMatchObject({
      kind: "migration-drop-table",
      confidence: 0.6,
    });
  });

  it("reads a statement cut at the top of a hunk", () => {
    const f = file("migrations/0080_users.sql", ["   id bigint NOT NULL;", "+ALTER TABLE users", "+  DROP COLUMN legacy_token;"], 12);
    expect(predict(migrationsPredictor, [f]).map((p) => p.kind)).toEqual(["migration-drop-column"]);
    const cut = file("migrations/0081_users.sql", ["-  DROP COLUMN a;", "+  DROP COLUMN legacy_token;"], 12);
    expect(predict(migrationsPredictor, [cut]).map((p) => p.kind)).toEqual(["migration-drop-column"]);
  });

  it("uses the whole file to see the down part of a migration above the hunk", () => {
    const before = "-- +goose Up\nCREATE TABLE invites (id bigserial PRIMARY KEY);\n\n-- +goose Down\n";
    const after = `${before}DROP TABLE invites;\n`;
    const c = change("db/migrations/20240304_invites.sql", before, after, 0);
    expect(predictChanges(migrationsPredictor, [c])).toEqual([]);
    // Without the content, only the hunk is known: the statement looks like an up migration.
    expect(predictChanges(migrationsPredictor, [c], false).map((p) => p.kind)).toEqual(["migration-drop-table"]);
  });

  it("never throws on malformed SQL", () => {
    for (const code of [
      "ALTER TABLE 'unterminated DROP COLUMN x",
      "$$ $tag$ /* ;;; ",
      "ALTER TABLE",
      ";;;",
      "\u0000\u0001 DROP",
      "ALTER TABLE t ADD COLUMN (((( NOT NULL",
    ])
      expect(() => run("migrations/x.sql", code)).not.toThrow();
  });
});

describe("migrations predictor: ORM forms", () => {
  it("Django: AlterField that makes a field NOT NULL", () => {
    const op =
      "        migrations.AlterField(\n            model_name='order',\n            name='customer',\n            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='shop.customer'),\n        ),";
    // The models diff shows null=True going away.
    const models = {
      path: "shop/models.py",
      lines: [
        " class Order(models.Model):",
        "-    customer = models.ForeignKey(Customer, null=True, on_delete=models.PROTECT)",
        "+    customer = models.ForeignKey(Customer, on_delete=models.PROTECT)",
      ],
    };
    expect(run("shop/migrations/0012_order_customer_required.py", op, [models]).map((p) => [p.kind, p.line])).toEqual([
      ["migration-not-null", 1],
    ]);
    // Without it, an AlterField may change anything (help_text, verbose_name): nothing to say.
    expect(kinds("shop/migrations/0012_order_customer_required.py", op)).toEqual([]);
    expect(
      kinds("shop/migrations/0013.py", "migrations.AlterField(model_name='order', name='note', field=models.TextField(null=False))"),
    ).toEqual(["migration-not-null"]);
    expect(
      kinds(
        "shop/migrations/0013.py",
        "migrations.AlterField(model_name='order', name='note', field=models.TextField(null=False, default=''))",
      ),
    ).toEqual([]);
    expect(
      kinds(
        "shop/migrations/0013.py",
        "migrations.AlterField(model_name='order', name='note', field=models.TextField(blank=True, null=True, help_text='Shown on the invoice'))",
      ),
    ).toEqual([]);
  });

  it("Django: AlterField that narrows a CharField", () => {
    const models = {
      path: "accounts/models.py",
      lines: ["-    bio = models.CharField(max_length=500, blank=True)", "+    bio = models.CharField(max_length=160, blank=True)"],
    };
    const op = "migrations.AlterField(model_name='profile', name='bio', field=models.CharField(blank=True, max_length=160))";
    const [p] = run("accounts/migrations/0007_alter_profile_bio.py", op, [models]);
    expect(p).toMatchObject({ kind: "migration-type-narrowing", confidence: 0.85 });
    expect(p.prediction).toContain("`varchar(500)` to `varchar(160)`");
  });

  it("Django: AddIndex only on PostgreSQL, and not AddIndexConcurrently", () => {
    const code =
      "from django.contrib.postgres.operations import BtreeGinExtension\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.AddIndex(model_name='order', index=models.Index(fields=['created_at'], name='order_created_idx')),\n    ]";
    expect(kinds("shop/migrations/0014_order_idx.py", code)).toEqual(["migration-blocking-index"]);
    expect(kinds("shop/migrations/0014_order_idx.py", code.replace("migrations.AddIndex(", "AddIndexConcurrently("))).toEqual([]);
    expect(
      kinds(
        "shop/migrations/0014_order_idx.py",
        code.replace("from django.contrib.postgres.operations import BtreeGinExtension", "import django"),
      ),
    ).toEqual([]);
  });

  it("Django: RunSQL forward SQL counts, reverse_sql does not", () => {
    expect(kinds("app/migrations/0020.py", 'migrations.RunSQL("ALTER TABLE app_user DROP COLUMN legacy_id;")')).toEqual([
      "migration-drop-column",
    ]);
    expect(
      kinds(
        "app/migrations/0020.py",
        'migrations.RunSQL(\n    sql="ALTER TABLE app_user ADD COLUMN legacy_id int;",\n    reverse_sql="ALTER TABLE app_user DROP COLUMN legacy_id;",\n)',
      ),
    ).toEqual([]);
  });

  it("Alembic: nullable=False needs a server_default, not a Python default", () => {
    expect(
      kinds(
        "alembic/versions/3f2a_add_plan.py",
        "def upgrade():\n    op.add_column('accounts', sa.Column('plan', sa.String(20), nullable=False, default='free'))",
      ),
    ).toEqual(["migration-not-null"]);
    expect(
      kinds(
        "alembic/versions/3f2a_add_plan.py",
        "def upgrade():\n    op.add_column('accounts', sa.Column('plan', sa.String(20), nullable=False, server_default='free'))",
      ),
    ).toEqual([]);
  });

  it("Alembic: alter_column narrowing with existing_type, and create_index on PostgreSQL", () => {
    const narrow =
      "def upgrade():\n    op.alter_column('users', 'username',\n        existing_type=sa.String(length=255),\n        type_=sa.String(length=32))";
    expect(run("alembic/versions/4a1b_username.py", narrow)[0]).toMatchObject({ kind: "migration-type-narrowing", line: 2 });
    expect(
      kinds(
        "alembic/versions/4a1b_username.py",
        "def upgrade():\n    op.alter_column('users', 'username', existing_type=sa.String(32), type_=sa.Text())",
      ),
    ).toEqual([]);
    const idx =
      "from sqlalchemy.dialects import postgresql\n\ndef upgrade():\n    op.create_index('ix_events_user_id', 'events', ['user_id'])";
    expect(kinds("alembic/versions/5c2d_idx.py", idx)).toEqual(["migration-blocking-index"]);
    expect(kinds("alembic/versions/5c2d_idx.py", idx.replace("['user_id'])", "['user_id'], postgresql_concurrently=True)"))).toEqual([]);
    expect(
      kinds(
        "alembic/versions/5c2d_idx.py",
        idx.replace("def upgrade():", "def upgrade():\n    op.create_table('events', sa.Column('id', sa.Integer()))"),
      ),
    ).toEqual([]);
  });

  it("Rails: change_column_null, change_table columns, add_index", () => {
    expect(run("db/migrate/20240305_require_email.rb", "def change\n  change_column_null :users, :email, false\nend")[0]).toMatchObject({
      kind: "migration-not-null",
      confidence: 0.7,
    });
    expect(
      run("db/migrate/20240305_require_email.rb", 'def change\n  change_column_null :users, :email, false, "unknown@example.com"\nend')[0],
    ).toMatchObject({ confidence: 0.55 });
    expect(
      kinds("db/migrate/20240306.rb", "def change\n  change_table :orders do |t|\n    t.string :currency, null: false\n  end\nend"),
    ).toEqual(["migration-not-null"]);
    expect(
      kinds(
        "db/migrate/20240306.rb",
        'def change\n  change_table :orders do |t|\n    t.string :currency, null: false, default: "EUR"\n  end\nend',
      ),
    ).toEqual([]);
    expect(
      kinds("db/migrate/20240306.rb", "def change\n  create_table :orders do |t|\n    t.string :currency, null: false\n  end\nend"),
    ).toEqual([]);
    const pgRails = [{ path: "config/database.yml", lines: ["+  adapter: postgresql"] }];
    expect(kinds("db/migrate/20240307_idx.rb", "def change\n  add_index :orders, :customer_id\nend", pgRails)).toEqual([
      "migration-blocking-index",
    ]);
    expect(
      kinds(
        "db/migrate/20240307_idx.rb",
        "disable_ddl_transaction!\n\ndef change\n  add_index :orders, :customer_id, algorithm: :concurrently\nend",
        pgRails,
      ),
    ).toEqual([]);
    expect(kinds("db/migrate/20240307_idx.rb", "def change\n  add_index :orders, :customer_id\nend")).toEqual([]);
    expect(kinds("db/migrate/20240308.rb", "def change\n  change_column :users, :zip, :string, limit: 5\nend")).toEqual([
      "migration-type-change",
    ]);
  });

  it("Knex and Sequelize: NOT NULL without a default on an existing table", () => {
    expect(
      kinds(
        "migrations/20240309_plan.js",
        "exports.up = (knex) =>\n  knex.schema.alterTable('accounts', (t) => {\n    t.string('plan').notNullable();\n  });",
      ),
    ).toEqual(["migration-not-null"]);
    expect(
      kinds(
        "migrations/20240309_plan.js",
        "exports.up = (knex) =>\n  knex.schema.alterTable('accounts', (t) => {\n    t.string('plan').notNullable().defaultTo('free');\n  });",
      ),
    ).toEqual([]);
    expect(
      kinds(
        "migrations/20240309_plan.js",
        "exports.up = (knex) =>\n  knex.schema.createTable('accounts', (t) => {\n    t.string('plan').notNullable();\n  });",
      ),
    ).toEqual([]);
    const seq =
      "module.exports = {\n  async up(queryInterface, Sequelize) {\n    await queryInterface.addColumn('Users', 'role', {\n      type: Sequelize.STRING,\n      allowNull: false,\n    });\n  },\n  async down(queryInterface) {\n    await queryInterface.removeColumn('Users', 'role');\n  },\n};";
    expect(run("migrations/20240310-add-role.js", seq).map((p) => [p.kind, p.line])).toEqual([["migration-not-null", 3]]);
    expect(
      kinds("migrations/20240310-add-role.js", seq.replace("allowNull: false,", "allowNull: false,\n      defaultValue: 'member',")),
    ).toEqual([]);
    expect(
      kinds(
        "database/migrations/2024_03_10_000000_drop_legacy.php",
        "public function up(): void\n{\n    Schema::table('users', function (Blueprint $table) {\n        $table->dropColumn('legacy_id');\n    });\n}",
      ),
    ).toEqual(["migration-drop-column"]);
  });
});

describe("migrations predictor: Entity Framework Core and Go", () => {
  const ef = (body: string) =>
    `public partial class ShortenNames : Migration\n{\n    protected override void Up(MigrationBuilder migrationBuilder)\n    {\n${body}\n    }\n\n    protected override void Down(MigrationBuilder migrationBuilder)\n    {\n        migrationBuilder.DropColumn(\n            name: "TenantId",\n            table: "Orders");\n    }\n}`;

  it("reads EF Core operations, with the old type EF records", () => {
    const narrow = ef(
      '        migrationBuilder.AlterColumn<string>(\n            name: "DisplayName",\n            table: "Users",\n            type: "nvarchar(50)",\n            maxLength: 50,\n            nullable: true,\n            oldClrType: typeof(string),\n            oldType: "nvarchar(200)",\n            oldMaxLength: 200);',
    );
    expect(run("src/Data/Migrations/20240311093000_ShortenNames.cs", narrow).map((p) => [p.kind, p.line])).toEqual([
      ["migration-type-narrowing", 5],
    ]);
    expect(
      kinds(
        "src/Data/Migrations/20240311093000_ShortenNames.cs",
        ef('        migrationBuilder.DropColumn(\n            name: "LegacyCode",\n            table: "Orders");'),
      ),
    ).toEqual(["migration-drop-column"]);
    // EF's generated NOT NULL adds carry a default: fine. The Down part is ignored.
    expect(
      kinds(
        "src/Data/Migrations/20240311093000_AddTenant.cs",
        ef(
          '        migrationBuilder.AddColumn<int>(\n            name: "TenantId",\n            table: "Orders",\n            type: "int",\n            nullable: false,\n            defaultValue: 0);',
        ),
      ),
    ).toEqual([]);
    expect(
      kinds(
        "src/Data/Migrations/20240311093000_AddTenant.cs",
        ef(
          '        migrationBuilder.AddColumn<int>(\n            name: "TenantId",\n            table: "Orders",\n            type: "int",\n            nullable: false);',
        ),
      ),
    ).toEqual(["migration-not-null"]);
    expect(
      kinds(
        "src/Data/Migrations/20240311093000_ShortenNames.Designer.cs",
        ef('        migrationBuilder.DropColumn(name: "X", table: "Y");'),
      ),
    ).toEqual([]);
  });

  it("reads SQL in goose Go migrations, ignoring the down function", () => {
    const code =
      'func upDropLegacy(ctx context.Context, tx *sql.Tx) error {\n\t_, err := tx.ExecContext(ctx, "ALTER TABLE users DROP COLUMN legacy_id")\n\treturn err\n}\n\nfunc downDropLegacy(ctx context.Context, tx *sql.Tx) error {\n\t_, err := tx.ExecContext(ctx, "DROP TABLE users_backup")\n\treturn err\n}';
    expect(kinds("db/migrations/20240312_drop_legacy.go", code)).toEqual(["migration-drop-column"]);
  });
});
