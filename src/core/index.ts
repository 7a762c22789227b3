export * from "./severity.js";
export * from "./alert.js";
export * from "./case.js";
export * from "./context.js";
export * from "./crew.js";
export * from "./errors.js";
export * from "./clock.js";
export * from "./ids.js";
