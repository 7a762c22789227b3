import type { OutputInterface } from "ai";
import { z } from "zod";
import { caseIdForTier } from "../../core/index.js";
import { failure } from "./failures.js";
import type { ModelReply } from "./model-call.js";
import { extractJsonObject, looksLikeRefusal } from "./parse.js";
import { RunFailed } from "./run-state.js";
import type { AgentSpec } from "./types.js";

// Structured output: the answer's JSON schema as the server is asked for it, and the judgement of an answer
// (one JSON object, the run's own case, the schema, the spec's `check`) or of a refusal.

export const SCHEMA_HINT = "JSON schema:";

/** TORA-20261124-0007 and VERA-20261124-0007 are one case seen by two tiers; anything else is another case. */
function sameCase(named: unknown, own: string): boolean {
  if (typeof named !== "string") return false;
  const canonical = (id: string) => {
    const trimmed = id.trim().toUpperCase();
    return /^[A-Z]+-\d{8}-\d{4,}$/.test(trimmed) ? caseIdForTier(trimmed, "TORA") : trimmed;
  };
  return canonical(named) === canonical(own);
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`);
}

/** Drops what costs tokens and tells a model nothing: the dialect URI and the safe-integer bounds of `.int()`. */
function leanSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(leanSchema);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === "$schema") continue;
    if ((key === "maximum" && value === Number.MAX_SAFE_INTEGER) || (key === "minimum" && value === Number.MIN_SAFE_INTEGER)) continue;
    out[key] = leanSchema(value);
  }
  return out;
}

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> | null {
  try {
    return leanSchema(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" })) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A response format whose text we parse ourselves: fences, prose and repair are the runtime's business. */
export function rawJsonOutput(schema: Record<string, unknown> | null, name: string): OutputInterface<string, string, never> {
  return {
    name: "object",
    responseFormat: Promise.resolve(schema ? { type: "json" as const, schema: schema as never, name } : { type: "json" as const }),
    parseCompleteOutput: async ({ text }) => text,
    parsePartialOutput: async () => undefined,
    createElementStreamTransform: () => undefined,
  };
}

/**
 * Runs one agent on one case: the tool loop, the final answer with one repair, every request held under

/** The schema written into an instruction, when the server is not given it as response_format. */
export function schemaHint(outputSchema: Record<string, unknown> | null): string {
  return outputSchema ? `\n${SCHEMA_HINT}\n${JSON.stringify(outputSchema)}` : "";
}

export type Verdict<O> = { value: O } | { errors: string[]; json: boolean };

/** null when valid; else the errors a repair request feeds back. Throws on an invented case id. */
export function judge<O>(spec: AgentSpec<O>, text: string): Verdict<O> {
  const found = extractJsonObject(text);
  if (!found) return { errors: ["(root): expected one JSON object, found none"], json: false };
  const caseId = found.value.case_id;
  if (typeof caseId === "string" && !sameCase(caseId, spec.caseId))
    throw new RunFailed(failure("invented_case_id", `the answer names case ${JSON.stringify(caseId).slice(0, 80)}; this run works ${spec.caseId}`));
  const parsed = spec.output.schema.safeParse(found.value);
  if (!parsed.success) return { errors: issuesOf(parsed.error), json: true };
  const problems = spec.output.check?.(parsed.data) ?? [];
  if (problems.length > 0) return { errors: problems, json: true };
  return { value: parsed.data };
}

/** Throws `refusal` when the server filtered the answer or the model declined in prose. */
export function refusedOrNot(reply: ModelReply, verdict: { errors: string[]; json: boolean }): void {
  if (reply.finishReason === "content-filter") throw new RunFailed(failure("refusal", `the server filtered the answer (finish_reason ${reply.rawFinishReason ?? "content_filter"})`));
  if (!verdict.json && looksLikeRefusal(reply.text)) throw new RunFailed(failure("refusal", `the model declined: ${reply.text.slice(0, 300)}`));
}
