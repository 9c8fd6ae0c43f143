/**
 * Breaking changes to an API contract that clients outside this repository depend on:
 * OpenAPI/Swagger, GraphQL schemas and protobuf definitions. Each format compares the whole old
 * and new documents when the new file's content is known (the old one is rebuilt from the
 * diff), and the diff's deleted and added lines otherwise.
 */
import type { SyncAnalyzer, Prediction } from "../types.js";
import type { Emit } from "./contract.js";
import { graphqlContract, GQL_EXT } from "./graphql.js";
import { isOpenApi, openApiContract } from "./openapi.js";
import { contentOf, makePrediction, safely, snippet } from "./predict.js";
import { protobufContract } from "./protobuf.js";

/**
 * Fixtures, tests and examples describe no one's contract. `docs/` and `spec/` often hold the
 * published one: kept.
 */
const NOT_A_CONTRACT = /(?:^|\/)(?:__fixtures__|fixtures?|testdata|test[-_]data|examples?|samples?|mocks?|__tests__|tests?)\//i;

export const apiContractPredictor: SyncAnalyzer = {
  name: "api-contract",
  analyze(input) {
    const predictions: Prediction[] = [];
    const emit: Emit = (file, at, kind, prediction, confidence, severity, extraTag, recommendation) => {
      predictions.push(
        makePrediction({
          kind,
          path: file.path,
          at,
          prediction,
          confidence,
          severity,
          impact:
            "Clients built against the current contract (other teams, mobile apps that cannot be updated at once, partners) break until they change.",
          tags: ["api", "breaking-change", extraTag],
          recommendation,
          identity: `${snippet(at.content, 500)}\u0000${prediction}`,
        }),
      );
    };
    for (const file of input.files) {
      if (file.binary || file.hunks.length === 0 || NOT_A_CONTRACT.test(file.path)) continue;
      const content = contentOf(input, file.path);
      safely(() => {
        if (GQL_EXT.test(file.path)) graphqlContract(file, content, emit);
        else if (/\.proto$/i.test(file.path)) protobufContract(file, content, emit);
        else if (isOpenApi(file, content)) openApiContract(file, content, emit);
      });
    }
    return { findings: [], predictions };
  },
};
