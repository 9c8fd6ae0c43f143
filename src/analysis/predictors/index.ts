/** The predictors: each an Analyzer that anticipates a future failure from the diff. */
export { migrationsPredictor } from "./migrations.js";
export { apiContractPredictor } from "./apiContract.js";
export { securityWithoutTestsPredictor, isSecuritySensitive } from "./securityWithoutTests.js";
export { dependenciesPredictor, parseVersion, isMajorBump } from "./dependencies.js";
export { createLargeChangePredictor, largeChangePredictor, type LargeChangeOptions } from "./largeChange.js";
export { workflowsPredictor } from "./workflows.js";
export { dockerfilePredictor, isDockerfile } from "./dockerfile.js";
export { terraformPredictor } from "./terraform.js";
