export * from "./app.js";
export * from "./summary.js";
export * from "./serve.js";
export * from "./detection.js";
export { configureLogging, configuredSecrets } from "./logging.js";
export * from "./site-rebuild.js";
