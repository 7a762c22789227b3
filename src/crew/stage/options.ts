import type { Clock } from "../../core/index.js";
import type { ModelSettings } from "../runtime/types.js";
import type { ToolDefinition } from "../tools/tool.js";
import type { ApplyEffects } from "./effects.js";
import type { RetryPolicy } from "./retry.js";
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
