export * from "./actions/index.js";
export * from "./policy/index.js";
export * from "./approvals/index.js";
export * from "./connectors/index.js";
export * from "./notify/index.js";
export * from "./execute/index.js";
export { responseServices, type ResponseConfig, type ResponseServices } from "./services.js";
