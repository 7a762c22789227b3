export {
  saveRun,
  getRun,
  getRunInput,
  listRuns,
  getTrace,
  exportRun,
  runSummary,
  runBrief,
  emptyUsage,
  ListRunsOptions,
  RunBrief,
  CaseRunSummary,
  RUN_EXPORT_FORMAT,
} from "./store.js";
export { formatTrace, formatRunList } from "./format.js";
export { replayRun, type ReplayOptions, type ReplayReport } from "./replay.js";
