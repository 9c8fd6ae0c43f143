// `npm run bench`: figures side by side with a baseline measured in the same run.
import { benchAck } from "./ack.js";
import { benchAnalysis } from "./analysis.js";

await benchAnalysis();
await benchAck();
