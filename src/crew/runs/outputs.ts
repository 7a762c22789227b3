import type { z } from "zod";
import { ValidationError } from "../../core/index.js";
import { ToraProposal, TORA_OUTPUT_NAME } from "../tora/model.js";
import { checkVeraProposal, VeraProposal, VERA_OUTPUT_NAME } from "../vera/model.js";

/** The output contract a recorded run's agent spec used: its schema and the checks that ask for a repair. */
export interface ReplayOutput {
  schema: z.ZodType;
  /** The spec's checks beyond the schema, given the run's case id (a failing check costs a repair request). */
  check?: (value: unknown, caseId: string) => string[];
}

/**
 * The contract a replay validates the final answer with: the very one the recorded run's agent spec used
 * (a stricter or looser one would change whether a repair request is sent, and the replay would diverge
 * for that reason alone). VERA's model proposes `VeraProposal` (VeraOutput minus what code derives), checked
 * by `checkVeraProposal`, exactly as `veraAgentSpec` does.
 */
const BUILT_IN: Record<string, () => ReplayOutput> = {
  [TORA_OUTPUT_NAME]: () => ({ schema: ToraProposal }),
  [VERA_OUTPUT_NAME]: () => ({ schema: VeraProposal, check: (value, caseId) => checkVeraProposal(value as VeraProposal, caseId) }),
};

export function replayOutput(name: string, extra: Record<string, z.ZodType> = {}): ReplayOutput {
  const given = extra[name];
  if (given) return { schema: given };
  const builtIn = BUILT_IN[name]?.();
  if (!builtIn) throw new ValidationError(`no output schema named ${name} to replay against`, [{ path: "input.output", message: `unknown output ${name}; known: ${[...Object.keys(BUILT_IN), ...Object.keys(extra)].join(", ")}` }]);
  return builtIn;
}

export function replayOutputSchema(name: string, extra: Record<string, z.ZodType> = {}): z.ZodType {
  return replayOutput(name, extra).schema;
}
