import { apiContractPredictor } from "../../../src/analysis/predictors/apiContract.js";
import { file, predict } from "./helpers.js";

const kindsOf = (path: string, lines: string[], start = 1) => predict(apiContractPredictor, [file(path, lines, start)]).map((p) => p.kind);

describe("apiContract predictor: OpenAPI", () => {
  it("predicts a removed path on the deleted line (side LEFT)", () => {
    const lines = [
      " paths:",
      "   /users:",
      "     get:",
      "       operationId: listUsers",
      "-  /users/{id}:",
      "-    get:",
      "-      operationId: getUser",
      "   /teams:",
      "     get:",
    ];
    const [p, ...rest] = predict(apiContractPredictor, [file("api/openapi.yaml", lines, 10)]);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ kind: "api-removed-endpoint", side: "LEFT", line: 14, confidence: 0.85, severity: "high" });
    expect(p.prediction).toContain("/users/{id}");
    expect(p.tags).toEqual(["api", "breaking-change", "openapi"]);
  });

  it("predicts a removed operation", () => {
    const lines = [
      "   /users/{id}:",
      "     get:",
      "       operationId: getUser",
      "-    delete:",
      "-      operationId: deleteUser",
      "   /teams:",
    ];
    const preds = predict(apiContractPredictor, [file("spec/swagger.yml", lines)]);
    expect(preds.map((p) => p.kind)).toEqual(["api-removed-operation"]);
    expect(preds[0].prediction).toContain("DELETE /users/{id}");
  });

  it("predicts a removed property and a newly required one", () => {
    const lines = [
      "     User:",
      "       type: object",
      "       required:",
      "         - id",
      "+        - email",
      "       properties:",
      "         id:",
      "           type: string",
      "-        nickname:",
      "-          type: string",
      "         email:",
      "           type: string",
    ];
    const preds = predict(apiContractPredictor, [file("docs/openapi.yaml", lines, 40)]);
    expect(preds.map((p) => [p.kind, p.side])).toEqual([
      ["api-removed-property", "LEFT"],
      ["api-newly-required", "RIGHT"],
    ]);
    expect(preds[0].prediction).toContain("`nickname` of `User`");
    expect(preds[1].prediction).toContain("`email`");
  });

  it("reads pretty-printed JSON and finds the format from the file's content", () => {
    const lines = ['   "paths": {', '-    "/legacy": {', '-      "get": { "operationId": "legacy" }', "-    },", '     "/users": {'];
    const contents = new Map([["api/v1.json", '{\n  "openapi": "3.0.3",\n  "paths": {}\n}']]);
    expect(predict(apiContractPredictor, [file("api/v1.json", lines)], { fileContents: contents }).map((p) => p.kind)).toEqual([
      "api-removed-endpoint",
    ]);
  });

  it("stays quiet on edits that keep the contract", () => {
    expect(
      kindsOf("api/openapi.yaml", [
        "   /users:",
        "     get:",
        "-      summary: List users",
        "+      summary: List all users",
        "+    post:",
        "+      operationId: createUser",
        "       properties:",
        "+        avatar:",
        "+          type: string",
      ]),
    ).toEqual([]);
    // A new schema with required fields breaks nobody.
    expect(
      kindsOf("api/openapi.yaml", [
        "   schemas:",
        "+    Team:",
        "+      required:",
        "+        - name",
        "+      properties:",
        "+        name:",
        "+          type: string",
      ]),
    ).toEqual([]);
    // Not an API description at all.
    expect(kindsOf("config/settings.yaml", ["   paths:", "-    /tmp:", "-      keep: true"])).toEqual([]);
  });
});

describe("apiContract predictor: GraphQL", () => {
  it("predicts removed fields and types, and arguments made non-null", () => {
    const lines = [
      " type User {",
      "   id: ID!",
      "-  nickname: String",
      "-  posts(first: Int): [Post!]!",
      "+  posts(first: Int!): [Post!]!",
      "   name: String",
      " }",
      "-type LegacyBadge {",
      "-  label: String",
      "-}",
    ];
    expect(kindsOf("schema.graphql", lines)).toEqual(["api-removed-field", "api-removed-type", "api-argument-required"]);
  });

  it("flags a new required argument but not a defaulted or nullable one", () => {
    expect(
      kindsOf("api/schema.gql", [" type Query {", "-  users(first: Int): [User!]!", "+  users(first: Int, org: ID!): [User!]!", " }"]),
    ).toEqual(["api-argument-required"]);
    expect(
      kindsOf("api/schema.gql", [
        " type Query {",
        "-  users(first: Int): [User!]!",
        "+  users(first: Int, org: ID, limit: Int! = 10): [User!]!",
        " }",
      ]),
    ).toEqual([]);
  });

  it("stays quiet on additions and moves", () => {
    expect(kindsOf("schema.graphql", [" type User {", "   id: ID!", "+  email: String", " }"])).toEqual([]);
    expect(kindsOf("schema.graphql", [" type User {", "-  name: String", "   id: ID!", "+  name: String", " }"])).toEqual([]);
  });
});

describe("apiContract predictor: protobuf", () => {
  it("predicts a removed field, a changed type and a changed number", () => {
    const lines = [
      " message User {",
      "   string id = 1;",
      "-  string email = 2;",
      "-  int32 age = 3;",
      "+  string age = 3;",
      "-  string name = 4;",
      "+  string name = 5;",
      "-  int32 score = 6;",
      "+  int64 score = 6;",
      " }",
    ];
    const preds = predict(apiContractPredictor, [file("proto/user.proto", lines)]);
    expect(preds.map((p) => [p.kind, p.severity, p.side])).toEqual([
      ["api-removed-field", "high", "LEFT"],
      ["api-field-type-changed", "critical", "RIGHT"],
      ["api-field-number-changed", "critical", "RIGHT"],
    ]);
  });

  it("tells a reused number from a rename, per message", () => {
    const lines = [
      " message User {",
      "-  int32 age = 3;",
      "+  string nickname = 3;",
      "-  string name = 4;",
      "+  string full_name = 4;",
      " }",
      " message Team {",
      "+  string title = 9;",
      " }",
    ];
    expect(kindsOf("proto/user.proto", lines)).toEqual(["api-field-number-reused", "api-field-renamed"]);
  });

  it("lowers confidence when the removed number is reserved, and flags removed RPCs", () => {
    const preds = predict(apiContractPredictor, [
      file("proto/user.proto", [" message User {", "   string id = 1;", "-  string email = 2;", "+  reserved 2;", " }"]),
      file("proto/svc.proto", [
        " service Users {",
        "-  rpc GetUser(GetUserRequest) returns (User);",
        "   rpc ListUsers(ListUsersRequest) returns (ListUsersResponse);",
        " }",
      ]),
    ]);
    expect(preds.map((p) => [p.kind, p.confidence])).toEqual([
      ["api-removed-field", 0.6],
      ["api-removed-rpc", 0.85],
    ]);
  });

  it("stays quiet on new fields and comment edits", () => {
    expect(
      kindsOf("a.proto", [" message User {", "   string id = 1;", "+  string email = 2;", "-  // old comment", "+  // new comment", " }"]),
    ).toEqual([]);
  });
});
