import { createLargeChangePredictor, largeChangePredictor } from "../../../src/analysis/predictors/largeChange.js";
import { parsePatch } from "../../../src/analysis/diff.js";
import { added, file, predict } from "./helpers.js";

describe("largeChange predictor", () => {
  const big = (n: number) => file("src/big.ts", added(Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`).join("\n")));

  it("predicts once for more than 1000 changed lines, anchored on the first added line", () => {
    const preds = predict(largeChangePredictor, [file("src/removed.ts", ["-old"]), big(1001)]);
    expect(preds).toHaveLength(1);
    expect(preds[0]).toMatchObject({
      kind: "large-change",
      confidence: 0.6,
      tags: ["large-pr"],
      path: "src/big.ts",
      line: 1,
      side: "RIGHT",
    });
    expect(preds[0].prediction).toMatch(/1002 lines in 2 files/);
  });

  it("counts lines of files without a patch, and predicts for more than 50 files", () => {
    const noPatch = parsePatch("data.json", undefined, { additions: 5000, deletions: 0 });
    expect(predict(largeChangePredictor, [noPatch, big(1)])).toHaveLength(1);
    const many = Array.from({ length: 51 }, (_, i) => file(`src/f${i}.ts`, ["+x"]));
    expect(predict(largeChangePredictor, many)).toHaveLength(1);
  });

  it("stays quiet at or under the limits, and honours a custom limit", () => {
    expect(predict(largeChangePredictor, [big(1000)])).toEqual([]);
    expect(predict(createLargeChangePredictor({ lines: 10 }), [big(11)])).toHaveLength(1);
    // Nothing in the diff to anchor on: no prediction rather than an invalid line.
    expect(predict(largeChangePredictor, [parsePatch("x.bin", undefined, { additions: 5000 })])).toEqual([]);
  });
});
