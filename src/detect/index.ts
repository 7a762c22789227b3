export * from "./sigma/index.js";
export * from "./evtx/index.js";
