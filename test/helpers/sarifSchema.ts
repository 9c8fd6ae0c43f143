/**
 * The official SARIF 2.1.0 schema (OASIS, errata 01; see test/fixtures/sarif/README.md for where
 * the copy comes from) as an ajv validator. The schema is JSON Schema draft-04, hence ajv's
 * draft-04 class; ajv-formats checks its `uri`, `uri-reference` and `date-time` formats.
 */
import { readFileSync } from "node:fs";
import Ajv04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";

const SCHEMA = new URL("../fixtures/sarif/sarif-schema-2.1.0.json", import.meta.url);

let validate: (((log: unknown) => boolean) & { errors?: unknown }) | undefined;

/** The schema's errors for `log` (an empty list: valid). */
export function sarifSchemaErrors(log: unknown): unknown[] {
  if (!validate) {
    const ajv = new Ajv04.default({ allErrors: true, strict: false });
    ajvFormats.default(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, "utf8")) as object);
  }
  return validate(log) ? [] : ((validate.errors as unknown[] | null | undefined) ?? ["invalid"]);
}
