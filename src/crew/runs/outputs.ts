import type { z } from "zod";
import { ValidationError, VeraOutput } from "../../core/index.js";
import { ToraProposal, TORA_OUTPUT_NAME } from "../tora/model.js";

/**
 * The schema a replay validates the final answer with: the very one the recorded run's agent spec used
 * (a stricter or looser one would change whether a repair request is sent, and the replay would diverge
 * for that reason alone).
 */
const BUILT_IN: Record<string, () => z.ZodType> = {
  [TORA_OUTPUT_NAME]: () => ToraProposal,
  // VERA's model spec is not written yet: if it validates a proposal without nova_feed (as TORA does), name that schema here.
  vera_output: () => VeraOutput,
};

export function replayOutputSchema(name: string, extra: Record<string, z.ZodType> = {}): z.ZodType {
  const schema = extra[name] ?? BUILT_IN[name]?.();
  if (!schema) throw new ValidationError(`no output schema named ${name} to replay against`, [{ path: "input.output", message: `unknown output ${name}; known: ${[...Object.keys(BUILT_IN), ...Object.keys(extra)].join(", ")}` }]);
  return schema;
}
