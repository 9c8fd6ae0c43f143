import { migrationsPredictor } from "../../../src/analysis/predictors/migrations.js";
import { added, file, predict } from "./helpers.js";

const run = (path: string, code: string) => predict(migrationsPredictor, [file(path, added(code))]);
const kinds = (path: string, code: string) => run(path, code).map((p) => p.kind);

describe("migrations predictor", () => {
  it("predicts a dropped column in a SQL migration, on the added line", () => {
    const [p] = run("prisma/migrations/20240101_drop_email/migration.sql", '-- drop it\nALTER TABLE "User" DROP COLUMN "email";');
    expect(p).toMatchObject({
      kind: "migration-drop-column",
      confidence: 0.9,
      severity: "high",
      path: "prisma/migrations/20240101_drop_email/migration.sql",
      line: 2,
      side: "RIGHT",
    });
    expect(p.tags).toEqual(expect.arrayContaining(["database", "migration", "breaking-change"]));
    expect(p.id).toBe(`pred-${p.fingerprint.slice(0, 12)}`);
    expect(p.prediction).toMatch(/column/);
    expect(p.recommendation).toMatch(/later migration/);
  });

  it.each([
    ["db/schema.sql", "DROP TABLE IF EXISTS sessions;", "migration-drop-table"],
    ["migrations/002.sql", "ALTER TABLE users RENAME COLUMN name TO full_name;", "migration-rename"],
    ["migrations/003.sql", "ALTER TABLE users RENAME TO accounts;", "migration-rename"],
    ["migrations/004.sql", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "migration-not-null"],
    ["migrations/005.sql", "ALTER TABLE users ADD COLUMN tenant_id integer NOT NULL;", "migration-not-null"],
    [
      "app/migrations/0007_remove_user_email.py",
      "        migrations.RemoveField(model_name='user', name='email'),",
      "migration-drop-column",
    ],
    ["app/migrations/0008_delete_profile.py", "        migrations.DeleteModel(name='Profile'),", "migration-drop-table"],
    [
      "app/migrations/0009_rename.py",
      "        migrations.RenameField(model_name='user', old_name='name', new_name='full_name'),",
      "migration-rename",
    ],
    ["alembic/versions/ab12_drop.py", "def upgrade():\n    op.drop_column('users', 'email')", "migration-drop-column"],
    ["alembic/versions/ab13_drop.py", "def upgrade():\n    op.drop_table('sessions')", "migration-drop-table"],
    [
      "alembic/versions/ab14.py",
      "def upgrade():\n    op.alter_column('users', 'name',\n        new_column_name='full_name')",
      "migration-rename",
    ],
    ["alembic/versions/ab15.py", "def upgrade():\n    op.alter_column('users', 'email', nullable=False)", "migration-not-null"],
    ["db/migrate/20240101_remove_email.rb", "def change\n  remove_column :users, :email, :string\nend", "migration-drop-column"],
    ["db/migrate/20240102_drop.rb", "def up\n  drop_table :sessions\nend", "migration-drop-table"],
    ["db/migrate/20240103_rename.rb", "def change\n  rename_column :users, :name, :full_name\nend", "migration-rename"],
    [
      "migrations/20240101_users.js",
      "exports.up = (knex) => knex.schema.table('users', (t) => {\n  t.dropColumn('email');\n});",
      "migration-drop-column",
    ],
    [
      "migrations/20240102.ts",
      "export async function up(knex) {\n  await knex.schema.dropTableIfExists('sessions');\n}",
      "migration-drop-table",
    ],
  ])("%s: %s", (path, code, kind) => {
    expect(kinds(path, code)).toEqual([kind]);
  });

  it.each([
    ["migrations/001.sql", "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);"],
    ["migrations/002.sql", "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;"],
    ["migrations/003.sql", "-- DROP TABLE users; (not yet)"],
    ["migrations/000123_drop_email.down.sql", "ALTER TABLE users DROP COLUMN email;"],
    [
      "alembic/versions/ab16.py",
      "def upgrade():\n    op.add_column('users', sa.Column('email', sa.String()))\n\ndef downgrade():\n    op.drop_column('users', 'email')",
    ],
    ["db/migrate/20240104.rb", "def up\n  add_column :users, :email, :string\nend\n\ndef down\n  remove_column :users, :email\nend"],
    [
      "migrations/20240103.js",
      "exports.up = (knex) => knex.schema.createTable('x', (t) => t.increments());\nexports.down = (knex) => knex.schema.dropTable('x');",
    ],
    ["migrations/20240105.sql", "-- +goose Up\nCREATE TABLE x (id int);\n-- +goose Down\nDROP TABLE x;"],
    [
      "alembic/versions/ab17.py",
      "def upgrade():\n    op.add_column('users', sa.Column('n', sa.Integer(), nullable=False, server_default='0'))",
    ],
    ["src/cleanup.sql.md", "DROP TABLE users;"],
    ["src/services/users.ts", "await knex.schema.dropTable('tmp_import');"],
  ])("stays quiet on %s", (path, code) => {
    expect(kinds(path, code)).toEqual([]);
  });

  it("is less sure about SQL files outside a migrations folder", () => {
    expect(run("db/schema.sql", "DROP TABLE IF EXISTS sessions;")[0].confidence).toBe(0.7);
    expect(run("db/migrations/1_drop.sql", "DROP TABLE IF EXISTS sessions;")[0].confidence).toBe(0.9);
  });

  it("does not take code that merely mentions migrations for a migration", () => {
    expect(run("src/predictors/migrations.ts", "const rules = [{ re: /\\.dropTable\\s*\\(/ }];")).toEqual([]);
    expect(run("lib/migrationHelpers.js", "await knex.schema.dropTable('tmp');")).toEqual([]);
    expect(run("app/migrations/0002_remove_email.py", "migrations.RemoveField(model_name='user', name='email'),")).toHaveLength(1);
  });

  it("ignores deleted migration lines", () => {
    expect(predict(migrationsPredictor, [file("migrations/001.sql", ["-DROP TABLE users;", "+SELECT 1;"])])).toEqual([]);
  });
});
