import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ValidationError, parseJson } from "../../core/index.js";
import { compileSenders, ingestWebhookPayload, verifySenderAuth, type Sender, type WebhookDocument } from "../../ingest/templates/index.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { errorJson, errorResponses } from "../errors.js";

export const WEBHOOKS_PREFIX = "/api/v1/webhooks/";

/** Sender webhooks authenticate with the sender's own credential, never with a Nightshift token. */
export function isSenderWebhook(c: Context<AppEnv>): boolean {
  return c.req.method === "POST" && c.req.path.startsWith(WEBHOOKS_PREFIX);
}

const WebhookResult = z
  .object({
    ids: z.array(z.string()).openapi({ description: "the stored alert id of each mapped record, in order (an existing id for a duplicate)" }),
    created: z.number().int(),
    duplicates: z.number().int(),
    skipped: z.number().int().openapi({ description: "records the sender's template left out (e.g. resolved Alertmanager alerts)" }),
  })
  .openapi("WebhookResult");

const receive = createRoute({
  method: "post",
  path: "/api/v1/webhooks/{sender}",
  tags: ["alerts"],
  summary: "Receive a sender's own webhook payload (Alertmanager, Grafana, Splunk, Graylog, or an inline template)",
  description:
    "The sender is configured under `webhooks.senders` with a template and its own authentication: an HMAC over the raw body " +
    "(header, prefix and hex/base64 encoding per sender, optionally with a timestamp header within 5 minutes), a fixed header " +
    "value (`token`) or HTTP basic auth. Nightshift API tokens are not accepted here. Each record of the payload is mapped to a " +
    "generic JSON alert and validated like POST /api/v1/alerts: one bad record stores nothing. source + source_id is the " +
    "idempotency key, so a re-sent payload returns its ids as duplicates.",
  security: [],
  request: {
    params: z.object({ sender: z.string().min(1).openapi({ param: { name: "sender", in: "path" }, example: "alertmanager" }) }),
    body: {
      required: true,
      content: {
        "application/json": { schema: z.unknown().openapi({ description: "the sender's native JSON payload, or several JSON lines (each one payload)" }) },
        "application/x-ndjson": { schema: z.string().openapi({ description: "one payload a line (Vector, Fluent Bit); blank lines are ignored" }) },
      },
    },
  },
  responses: {
    202: { description: "Stored and queued for enrichment", content: { "application/json": { schema: WebhookResult } } },
    ...errorResponses(400, 401, 404, 413),
  },
});

const NDJSON_TYPES = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"]);

/**
 * The JSON documents of a body: one JSON document, or one per non-blank line when the body is NDJSON —
 * by its content type, or because the body is not one document but every line is (Vector's and Fluent
 * Bit's `json_lines` under `application/json`). Big integers stay exact (core parseJson).
 */
export function webhookDocuments(body: Uint8Array, contentType: string | undefined): WebhookDocument[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new ValidationError("the body is not UTF-8 text", [{ path: "", message: "expected UTF-8 JSON" }]);
  }
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!NDJSON_TYPES.has(type)) {
    try {
      return [{ payload: parseJson(text) }];
    } catch {
      const lines = text.split("\n").filter((l) => l.trim() !== "");
      if (lines.length < 2) throw new ValidationError("the body is not valid JSON", [{ path: "", message: "expected a JSON document or JSON lines" }]);
    }
  }
  const documents: WebhookDocument[] = [];
  const issues: { path: string; message: string }[] = [];
  text.split("\n").forEach((raw, index) => {
    if (raw.trim() === "") return;
    try {
      documents.push({ payload: parseJson(raw), line: index + 1 });
    } catch (error) {
      if (issues.length < 100) issues.push({ path: `line ${index + 1}`, message: `not JSON: ${(error as Error).message}` });
    }
  });
  if (issues.length) throw new ValidationError(`the body is neither one JSON document nor JSON lines: ${issues.length} line(s) are not JSON; nothing was stored`, issues);
  if (!documents.length) throw new ValidationError("the body is empty", [{ path: "", message: "expected a JSON document or JSON lines" }]);
  return documents;
}

/** Sender configuration is validated here, when the app is built at startup: a bad sender stops the server. */
export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps, env: Record<string, string | undefined> = process.env) {
  const config = deps.config as { webhooks?: { senders?: unknown[] }; connectors?: { secrets_file?: string } };
  const senders: Map<string, Sender> = compileSenders(config.webhooks, { env, secretsFile: config.connectors?.secrets_file });

  app.openAPIRegistry.registerPath(receive);
  app.post("/api/v1/webhooks/:sender", async (c) => {
    const name = c.req.param("sender");
    const sender = senders.get(name);
    if (!sender?.enabled) return errorJson(c, 404, `no webhook sender "${name}"`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const check = verifySenderAuth(sender.auth, { header: (h) => c.req.header(h), body }, deps.clock);
    if (!check.ok) {
      if (sender.auth.type === "basic") c.header("WWW-Authenticate", 'Basic realm="nightshift"');
      return errorJson(c, 401, `webhook ${name}: ${check.reason}`);
    }
    const documents = webhookDocuments(body, c.req.header("content-type"));
    const result = await ingestWebhookPayload(deps.db, sender, undefined, { clock: deps.clock, documents });
    return c.json(result, 202);
  });
}
