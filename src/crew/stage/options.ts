import { systemClock, type Clock } from "../../core/index.js";
import { saveRun as storeRun } from "../runs/store.js";
import type { ModelSettings } from "../runtime/types.js";
import type { ToolDefinition } from "../tools/tool.js";
import type { ApplyEffects } from "./effects.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import type { RunAgent, SaveRun } from "./run.js";

/** What a tier's stage needs to work its cases on a model (TORA's and VERA's handlers take the same). */
export interface CrewStageOptions {
  clock: Clock;
  /** The tier's endpoint (config crew.model merged with crew.tiers.<tier>). Absent: the deterministic analyst. */
  model?: ModelSettings | null;
  /** runtime/agent.ts runAgent; required with a model. */
  runAgent?: RunAgent;
  /** The tools offered to the tier (tools/ `toolsFor(agent)`). */
  tools?: ToolDefinition[];
  /** crew.max_steps.<tier> */
  maxSteps?: number;
  /** crew.retry */
  retry?: RetryPolicy;
  /** runs/store.ts saveRun (default) or a substitute. */
  saveRun?: SaveRun;
  /** tools/effects.ts applyEffects (the default) or a substitute. */
  applyEffects?: ApplyEffects;
  /** The queue's clock for retry run_after (real time by default: the worker claims by it). */
  queueClock?: Clock;
}

/** A stage's options on a model, defaults filled in. */
export interface ModelStageOptions {
  model: ModelSettings;
  runAgent: RunAgent;
  tools: ToolDefinition[];
  retry: RetryPolicy;
  saveRun: SaveRun;
  queueClock: Clock;
}

/** The options of a stage whose tier has a model; throws when the model came without a runtime. */
export function modelStageOptions(options: CrewStageOptions & { model: ModelSettings }, stage: string): ModelStageOptions {
  if (!options.runAgent) throw new Error(`${stage}: a model is configured but no runAgent was given`);
  return {
    model: options.model,
    runAgent: options.runAgent,
    tools: options.tools ?? [],
    retry: options.retry ?? DEFAULT_RETRY,
    saveRun: options.saveRun ?? storeRun,
    queueClock: options.queueClock ?? systemClock,
  };
}
