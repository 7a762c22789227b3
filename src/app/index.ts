export * from "./app.js";
export * from "./summary.js";
export * from "./serve.js";
export * from "./detection.js";
export * from "./site-rebuild.js";
