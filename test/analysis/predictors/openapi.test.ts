/** The OpenAPI reader is bounded: an alias bomb or an oversized document falls back to the diff, at once. */
import { apiContractPredictor } from "../../../src/analysis/predictors/apiContract.js";
import { parseTree } from "../../../src/analysis/predictors/openapi.js";
import { aliasBomb } from "../../helpers/yamlBombs.js";
import { change, predictChanges } from "./helpers.js";

const SPEC = `openapi: 3.0.3
info: { title: Shop, version: "1.0" }
components:
  responses:
    Ok: &ok { description: OK }
paths:
  /users:
    get:
      responses:
        '200': *ok
  /orders:
    get:
      responses:
        '200': *ok
`;

const indent = (text: string, by: string) => text.replace(/^(?=.)/gm, by);

describe("openapi: bounded YAML", () => {
  it("reads a document with a few anchors", () => {
    expect(parseTree(SPEC)).toMatchObject({ t: "map" });
  });

  it("does not expand an alias bomb: the document is not read as a tree", () => {
    const started = Date.now();
    expect(parseTree(`${SPEC}x-lol:\n${indent(aliasBomb(), "  ")}`)).toBeUndefined();
    expect(parseTree(aliasBomb())).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("does not parse YAML over 1.5 MB", () => {
    expect(parseTree(`${SPEC}# ${"x".repeat(1_600_000)}\n`)).toBeUndefined();
  });

  it("still predicts from the diff when the new version is a bomb", () => {
    const after = `${SPEC.replace(/ {2}\/orders:\n(?: {4}.*\n)+/, "")}x-lol:\n${indent(aliasBomb(), "  ")}`;
    const started = Date.now();
    const preds = predictChanges(apiContractPredictor, [change("api/openapi.yaml", SPEC, after)]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(preds.map((p) => p.kind)).toContain("api-removed-endpoint");
  });
});
