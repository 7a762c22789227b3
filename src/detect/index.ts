export * from "./sigma/index.js";
export * from "./evtx/index.js";
export * from "./engine.js";
export * from "./logsource/index.js";
export * from "./readers/index.js";
