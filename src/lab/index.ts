import { fileURLToPath } from "node:url";

export { PACK_FORMAT, Pack, AlertTruth, Incident, TimelineEntry, AlertFile, LearnFrom, ColumnTruth, ContainmentAction, packJsonSchema, type PackInput } from "./schema.js";
export { loadPack, validatePack, packFiles, offsetMs, formatIssuePath, DEFAULT_STEP_MS, type LoadedPack, type LoadPackOptions, type ResolvedEntry } from "./load.js";
export { readLabelledAlerts, FILE_INCIDENT, type LabelledAlert } from "./alert-file.js";
export { ReplayClock } from "./clock.js";
export { replayPack, removeReplayHomes, type ReplayOptions, type ReplayProgress, type ReplayObservation, type AlertObservation, type CaseObservation } from "./replay.js";
export { scorePack, headline, share, TORA_LABELS, VERA_LABELS, type PackScore, type TierMatrix, type Counts, type IncidentResult } from "./score.js";
export { evaluatePackFile, combine, compareWithBaseline, EVAL_FORMAT, COMPARED, type EvalResult, type PackResult, type BaselineComparison } from "./eval.js";
export { renderChart, renderMarkdown, writeReport } from "./report.js";

/** The built-in packs (src/lab/packs, copied to dist/lab/packs by the build). */
export const BUILTIN_PACKS_DIR = fileURLToPath(new URL("./packs", import.meta.url));
