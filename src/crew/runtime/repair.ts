import { failure } from "./failures.js";
import type { ModelReply } from "./model-call.js";
import { RunFailed, type AgentRun } from "./run-state.js";
import { judge, refusedOrNot, schemaHint } from "./structured-output.js";

// The answer: a reply without tool calls is judged; prose gets one final-answer request, an invalid answer one
// repair request that quotes the validation errors (or says it was cut off at the output limit).

function finalInstruction<O>(run: AgentRun<O>): string {
  const schema = run.responseFormat !== "json_schema" ? schemaHint(run.outputSchema) : "";
  return `Give your final answer now: one JSON object, the ${run.spec.output.name} for case ${run.spec.caseId}, and nothing else (no prose, no tool calls).${schema}`;
}

/** An answer the server stopped at the output limit: its JSON is cut, and saying so is the useful repair. */
function cutOff(reply: ModelReply): boolean {
  return reply.finishReason === "length";
}

function cutOffNote<O>(run: AgentRun<O>): string {
  return `Your answer was cut off at the output limit (${run.settings.max_output_tokens} tokens): give the same JSON object, shorter — fewer and terser findings and descriptions, no prose around it.`;
}

/** The valid output of the run, after at most one final-answer request and one repair; else `invalid_output`. */
export async function finish<O>(run: AgentRun<O>, reply: ModelReply): Promise<O> {
  const { spec, settings, messages, record } = run;
  let verdict = judge(spec, reply.text);
  refusedOrNot(reply, "value" in verdict ? { errors: [], json: true } : verdict);
  if ("value" in verdict) return verdict.value;
  let last = reply;
  if (!verdict.json && !cutOff(reply)) {
    if (reply.text.trim()) messages.push({ role: "assistant", content: reply.text });
    messages.push({ role: "user", content: finalInstruction(run) });
    last = await run.send("final", false);
    verdict = judge(spec, last.text);
    if ("value" in verdict) return verdict.value;
    refusedOrNot(last, verdict);
  }
  const truncated = cutOff(last);
  record("repair", { errors: verdict.errors, ...(truncated ? { cut_off: true } : {}) });
  messages.push({ role: "assistant", content: last.text || "(no answer)" });
  messages.push({
    role: "user",
    content: truncated
      ? `${cutOffNote(run)}\nWhat arrived fails with:\n${verdict.errors.map((error) => `- ${error}`).join("\n")}\n${finalInstruction(run)}`
      : `Your answer is not a valid ${spec.output.name}:\n${verdict.errors.map((error) => `- ${error}`).join("\n")}\nReply with the corrected JSON object only.`,
  });
  const repaired = await run.send("repair", false);
  const second = judge(spec, repaired.text);
  if ("value" in second) return second.value;
  refusedOrNot(repaired, second);
  const why = cutOff(repaired) ? ` (cut off at the output limit of ${settings.max_output_tokens} tokens — raise max_output_tokens for this tier)` : "";
  throw new RunFailed(failure("invalid_output", `${spec.output.name} still invalid after one repair${why}: ${second.errors.join("; ")}`));
}
