import { apiContractPredictor } from "../../../src/analysis/predictors/apiContract.js";
import { change, predictChanges } from "./helpers.js";

const SPEC = `openapi: 3.0.3
info:
  title: Orders API
  version: 1.4.0
paths:
  /orders:
    get:
      operationId: listOrders
      parameters:
        - name: status
          in: query
          required: false
          schema:
            $ref: '#/components/schemas/OrderStatus'
        - name: limit
          in: query
          schema:
            type: integer
      responses:
        '200':
          description: A page of orders
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Order'
    post:
      operationId: createOrder
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewOrder'
          application/x-www-form-urlencoded:
            schema:
              $ref: '#/components/schemas/NewOrder'
      responses:
        '201':
          description: Created
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters:
        - name: orderId
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: The order
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Order'
    delete:
      operationId: cancelOrder
      responses:
        '204':
          description: Cancelled
  /orders/{orderId}/refunds:
    post:
      operationId: refundOrder
      responses:
        '202':
          description: Accepted
components:
  schemas:
    OrderStatus:
      type: string
      enum:
        - pending
        - paid
        - shipped
        - cancelled
    Order:
      type: object
      required:
        - id
        - status
      properties:
        id:
          type: string
        status:
          $ref: '#/components/schemas/OrderStatus'
        total:
          type: number
        currency:
          type: string
        customerNote:
          type: string
    NewOrder:
      type: object
      required:
        - items
      properties:
        items:
          type: array
          items:
            type: string
        coupon:
          type: string
`;

const edit = (pairs: [string, string][]) =>
  pairs.reduce((s, [a, b]) => {
    if (!s.includes(a)) throw new Error(`fixture edit not found: ${a}`);
    return s.replace(a, b);
  }, SPEC);
const kindsFor = (after: string, path = "api/openapi.yaml") => predictChanges(apiContractPredictor, [change(path, SPEC, after)]);

describe("apiContract: OpenAPI, whole documents", () => {
  it("finds removed paths and operations, anchored on deleted lines", () => {
    const after = edit([
      ["    delete:\n      operationId: cancelOrder\n      responses:\n        '204':\n          description: Cancelled\n", ""],
      [
        "  /orders/{orderId}/refunds:\n    post:\n      operationId: refundOrder\n      responses:\n        '202':\n          description: Accepted\n",
        "",
      ],
    ]);
    const preds = kindsFor(after);
    expect(preds.map((p) => [p.kind, p.side])).toEqual([
      ["api-removed-operation", "LEFT"],
      ["api-removed-endpoint", "LEFT"],
    ]);
    expect(preds[0].prediction).toContain("DELETE /orders/{orderId}");
    expect(preds[1].prediction).toContain("/orders/{orderId}/refunds");
    expect(preds[0].tags).toEqual(["api", "breaking-change", "openapi"]);
  });

  it("does not take a renamed path parameter for a removed path", () => {
    const after = SPEC.replace(/\{orderId\}/g, "{id}").replace("- name: orderId", "- name: id");
    expect(kindsFor(after)).toEqual([]);
  });

  it("finds removed, renamed and newly required properties, a changed type and a removed enum value", () => {
    const after = edit([
      ["        customerNote:\n          type: string\n", ""],
      ["        currency:\n          type: string\n", "        currencyCode:\n          type: string\n"],
      ["        total:\n          type: number\n", "        total:\n          type: string\n"],
      ["      required:\n        - items\n", "      required:\n        - items\n        - shippingAddress\n"],
      ["        - shipped\n", ""],
    ]);
    const preds = kindsFor(after);
    expect(preds.map((p) => p.kind).sort()).toEqual(
      ["api-newly-required", "api-removed-enum-value", "api-removed-property", "api-renamed-property", "api-type-changed"].sort(),
    );
    const byKind = Object.fromEntries(preds.map((p) => [p.kind, p]));
    expect(byKind["api-removed-property"].prediction).toContain("`customerNote` of Order");
    expect(byKind["api-renamed-property"].prediction).toContain("`currency` of Order appears renamed to `currencyCode`");
    expect(byKind["api-type-changed"].prediction).toContain("number → string");
    expect(byKind["api-type-changed"].severity).toBe("high");
    expect(byKind["api-newly-required"].prediction).toContain("`shippingAddress` of NewOrder");
    expect(byKind["api-removed-enum-value"]).toMatchObject({ side: "LEFT" });
  });

  it("finds a parameter that becomes required, a new required parameter and a removed request media type", () => {
    const after = edit([
      ["          in: query\n          required: false\n", "          in: query\n          required: true\n"],
      [
        "        - name: limit\n          in: query\n",
        "        - name: tenant\n          in: header\n          required: true\n          schema:\n            type: string\n        - name: limit\n          in: query\n",
      ],
      ["          application/x-www-form-urlencoded:\n            schema:\n              $ref: '#/components/schemas/NewOrder'\n", ""],
    ]);
    const preds = kindsFor(after);
    expect(preds.map((p) => p.kind)).toEqual(["api-newly-required", "api-newly-required", "api-removed-media-type"]);
    expect(preds[0].prediction).toContain("`status` of `GET /orders` becomes required");
    expect(preds[1].prediction).toContain("new header parameter `tenant`");
  });

  it("stays quiet on additive and cosmetic changes", () => {
    const after = edit([
      ["  version: 1.4.0", "  version: 1.5.0"],
      ["          description: A page of orders", "          description: A page of orders, newest first"],
      [
        "        customerNote:\n          type: string\n",
        "        customerNote:\n          type: string\n          description: Shown on the packing slip\n        giftWrap:\n          type: boolean\n",
      ],
      ["        - cancelled\n", "        - cancelled\n        - refunded\n"],
      [
        "        - name: limit\n          in: query\n",
        "        - name: cursor\n          in: query\n          schema:\n            type: string\n        - name: limit\n          in: query\n",
      ],
      ["        total:\n          type: number\n", "        total:\n          type: number\n          format: double\n"],
    ]);
    expect(kindsFor(after)).toEqual([]);
    // A response-only schema may gain required fields; a property of a response may widen.
    expect(kindsFor(SPEC.replace("                type: array\n", "                type: array\n                minItems: 0\n"))).toEqual(
      [],
    );
  });

  it("reads JSON specs, and ignores a brand-new spec file", () => {
    const before = JSON.stringify(
      {
        openapi: "3.1.0",
        info: { title: "x", version: "1" },
        paths: {
          "/a": { get: { responses: { "200": { description: "ok" } } } },
          "/b": { get: { responses: { "200": { description: "ok" } } } },
        },
      },
      null,
      2,
    );
    const after = JSON.stringify(
      { openapi: "3.1.0", info: { title: "x", version: "1" }, paths: { "/a": { get: { responses: { "200": { description: "ok" } } } } } },
      null,
      2,
    );
    const preds = predictChanges(apiContractPredictor, [change("public/api.json", before, after)]);
    expect(preds.map((p) => p.kind)).toEqual(["api-removed-endpoint"]);
    expect(predictChanges(apiContractPredictor, [change("api/openapi.yaml", "", SPEC)])).toEqual([]);
  });

  it("falls back to the diff when a version does not parse, and skips fixtures", () => {
    const broken = SPEC.replace("  version: 1.4.0", "  version: [1.4.0").replace("        customerNote:\n          type: string\n", "");
    expect(() => kindsFor(broken)).not.toThrow();
    expect(kindsFor(broken).map((p) => p.kind)).toContain("api-removed-property");
    const after = SPEC.replace("        customerNote:\n          type: string\n", "");
    expect(predictChanges(apiContractPredictor, [change("test/fixtures/openapi.yaml", SPEC, after)])).toEqual([]);
  });

  it("finds a changed type and a removed enum value from the diff alone", () => {
    const after = edit([
      ["        total:\n          type: number\n", "        total:\n          type: string\n"],
      ["        - shipped\n", ""],
    ]);
    const preds = predictChanges(apiContractPredictor, [change("api/openapi.yaml", SPEC, after)], false);
    expect(preds.map((p) => p.kind).sort()).toEqual(["api-removed-enum-value", "api-type-changed"]);
  });
});

const SCHEMA = `"""The root query."""
type Query {
  order(id: ID!): Order
  orders(first: Int = 20, after: String, status: OrderStatus): OrderConnection!
  search(term: String!): [SearchResult!]!
}

type Mutation {
  createOrder(input: CreateOrderInput!): Order!
}

type Order implements Node {
  id: ID!
  "Total in minor units"
  total: Int!
  status: OrderStatus!
  note: String
  legacyRef: String @deprecated(reason: "use id")
}

type OrderConnection {
  edges: [Order!]!
}

interface Node {
  id: ID!
}

input CreateOrderInput {
  items: [ID!]!
  coupon: String
}

enum OrderStatus {
  PENDING
  PAID
  SHIPPED @deprecated(reason: "merged into PAID")
}

union SearchResult = Order | Customer

type Customer {
  id: ID!
  name: String
}
`;

const gql = (after: string) => predictChanges(apiContractPredictor, [change("src/graphql/schema.graphql", SCHEMA, after)]);

describe("apiContract: GraphQL, whole schemas", () => {
  it("finds removed fields, arguments, enum values and union members", () => {
    const after = SCHEMA.replace('  legacyRef: String @deprecated(reason: "use id")\n', "")
      .replace("orders(first: Int = 20, after: String, status: OrderStatus)", "orders(first: Int = 20, after: String)")
      .replace('  SHIPPED @deprecated(reason: "merged into PAID")\n', "")
      .replace("union SearchResult = Order | Customer", "union SearchResult = Order");
    const preds = gql(after);
    expect(preds.map((p) => p.kind)).toEqual([
      "api-removed-argument",
      "api-removed-field",
      "api-removed-enum-value",
      "api-removed-union-member",
    ]);
    expect(preds[1].prediction).toContain("`Order.legacyRef`");
    expect(preds.every((p) => p.tags.includes("graphql"))).toBe(true);
  });

  it("tells breaking type changes from safe ones", () => {
    const after = SCHEMA.replace("  total: Int!", "  total: Float!") // breaking
      .replace("  note: String", "  note: String!") // output made non-null: safe
      .replace("  status: OrderStatus!", "  status: OrderStatus") // output made nullable: riskier
      .replace("  coupon: String\n", "  coupon: String\n  channel: String!\n") // new required input field
      .replace("  items: [ID!]!", "  items: [ID!]"); // input made nullable: safe
    const preds = gql(after);
    expect(preds.map((p) => [p.kind, p.confidence])).toEqual([
      ["api-type-changed", 0.85],
      ["api-type-changed", 0.6],
      ["api-newly-required", 0.85],
    ]);
    expect(preds[0].prediction).toContain("Int! → Float!");
  });

  it("finds arguments made or added non-null, and ignores descriptions and additions", () => {
    const after = SCHEMA.replace("search(term: String!)", "search(term: String!, scope: Scope!)").replace(
      "order(id: ID!)",
      'order(id: ID!, locale: String = "en")',
    );
    expect(gql(after).map((p) => p.kind)).toEqual(["api-argument-required"]);
    const cosmetic =
      SCHEMA.replace('"Total in minor units"', '"Total, in minor units (cents)"').replace(
        "  name: String\n}",
        "  name: String\n  email: String\n}",
      ) + "\ntype Shipment {\n  id: ID!\n}\n";
    expect(gql(cosmetic)).toEqual([]);
  });

  it("removes a whole type", () => {
    const after = SCHEMA.replace("union SearchResult = Order | Customer", "union SearchResult = Order").replace(
      "type Customer {\n  id: ID!\n  name: String\n}\n",
      "",
    );
    expect(gql(after).map((p) => p.kind)).toEqual(["api-removed-union-member", "api-removed-type"]);
  });

  it("diff only: a changed field type and a removed enum value", () => {
    const after = SCHEMA.replace("  total: Int!", "  total: Float!").replace("  PAID\n", "");
    const preds = predictChanges(apiContractPredictor, [change("schema.graphql", SCHEMA, after)], false);
    expect(preds.map((p) => p.kind).sort()).toEqual(["api-removed-enum-value", "api-type-changed"]);
  });

  it("never throws on a broken schema", () => {
    expect(() =>
      gql(SCHEMA.replace("type Order implements Node {", "type Order implements Node {{{ (((").replace("  note: String\n", "")),
    ).not.toThrow();
  });
});

const PROTO = `syntax = "proto3";

package shop.orders.v1;

import "google/protobuf/timestamp.proto";

// An order placed by a customer.
message Order {
  string id = 1;
  int64 total_cents = 2;
  OrderStatus status = 3;
  repeated LineItem items = 4;
  google.protobuf.Timestamp created_at = 5;
  reserved 8, 10 to 12;
  reserved "coupon";

  message LineItem {
    string sku = 1;
    int32 quantity = 2;
  }
}

enum OrderStatus {
  ORDER_STATUS_UNSPECIFIED = 0;
  ORDER_STATUS_PENDING = 1;
  ORDER_STATUS_PAID = 2;
}

service OrderService {
  rpc GetOrder(GetOrderRequest) returns (Order);
  rpc ListOrders(ListOrdersRequest) returns (stream Order) {
    option (google.api.http) = { get: "/v1/orders" };
  }
  rpc CancelOrder(CancelOrderRequest) returns (Order);
}
`;

const proto = (after: string, withContents = true) =>
  predictChanges(apiContractPredictor, [change("proto/shop/orders/v1/orders.proto", PROTO, after)], withContents);

describe("apiContract: protobuf, whole files", () => {
  it("finds a reused reserved number and a reused number of a removed field", () => {
    const after = PROTO.replace(
      "  google.protobuf.Timestamp created_at = 5;\n",
      "  google.protobuf.Timestamp created_at = 5;\n  string gift_message = 11;\n",
    );
    const [p, ...rest] = proto(after);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ kind: "api-field-number-reused", severity: "critical", confidence: 0.9, side: "RIGHT" });
    expect(p.prediction).toContain("takes 11");
    const reused = PROTO.replace("  int64 total_cents = 2;", "  string display_total = 2;");
    expect(proto(reused).map((x) => x.kind)).toEqual(["api-field-number-reused"]);
  });

  it("finds nested message changes, enum renumbering and RPC changes", () => {
    const after = PROTO.replace("    int32 quantity = 2;", "    double quantity = 2;")
      .replace("  ORDER_STATUS_PAID = 2;", "  ORDER_STATUS_PAID = 3;")
      .replace("  rpc CancelOrder(CancelOrderRequest) returns (Order);\n", "")
      .replace("returns (stream Order)", "returns (ListOrdersResponse)");
    const preds = proto(after);
    expect(preds.map((p) => p.kind)).toEqual([
      "api-field-type-changed",
      "api-enum-number-changed",
      "api-rpc-signature-changed",
      "api-removed-rpc",
    ]);
    expect(preds[0].prediction).toContain("Order.LineItem.quantity");
  });

  it("finds a package change and a removed field, less sure when it is reserved", () => {
    const moved = PROTO.replace("package shop.orders.v1;", "package shop.orders;");
    expect(proto(moved).map((p) => p.kind)).toEqual(["api-package-changed"]);
    const removed = PROTO.replace("  OrderStatus status = 3;\n", "").replace("  reserved 8, 10 to 12;", "  reserved 3, 8, 10 to 12;");
    expect(proto(removed).map((p) => [p.kind, p.confidence])).toEqual([["api-removed-field", 0.6]]);
  });

  it("stays quiet on compatible changes", () => {
    const after = PROTO.replace("  int64 total_cents = 2;", "  uint64 total_cents = 2;") // same wire type
      .replace(
        "  google.protobuf.Timestamp created_at = 5;\n",
        "  google.protobuf.Timestamp created_at = 5;\n  string gift_message = 6;\n  // The channel the order came from.\n  optional string channel = 7;\n",
      )
      .replace("  ORDER_STATUS_PAID = 2;\n", "  ORDER_STATUS_PAID = 2;\n  ORDER_STATUS_REFUNDED = 3;\n")
      .replace("// An order placed by a customer.", "// An order placed by a customer (or by support on their behalf).");
    expect(proto(after)).toEqual([]);
  });

  it("diff only: a new field on a number reserved on a context line", () => {
    const after = PROTO.replace("  reserved 8, 10 to 12;", "  string gift_message = 10;\n  reserved 8, 10 to 12;");
    expect(proto(after, false).map((p) => p.kind)).toEqual(["api-field-number-reused"]);
  });

  it("never throws on a broken file", () => {
    expect(() =>
      proto(PROTO.replace("message Order {", "message Order {{ = ; [[").replace("  int64 total_cents = 2;\n", "")),
    ).not.toThrow();
  });
});
