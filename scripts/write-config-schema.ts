// Regenerates schema/empathy.schema.json from the zod schema: `npm run schema`.
import { writeFileSync } from "node:fs";
import { repoConfigJsonSchema } from "../src/config/repoConfig.js";

writeFileSync(new URL("../schema/empathy.schema.json", import.meta.url), `${JSON.stringify(repoConfigJsonSchema(), null, 2)}\n`);
