import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { NotFoundError, ValidationError, parseJson } from "../../core/index.js";
import { eventsAround, processTree, searchEvents, type EventQuery } from "../../events/index.js";
import { ingestEvents } from "../../ingest/index.js";
import { requireRole } from "../auth/middleware.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { anyOf, errorResponses } from "../errors.js";

/** More events than this in one request are refused whole (413) rather than held in one transaction. */
export const MAX_EVENT_BATCH = 10_000;
export const NDJSON = "application/x-ndjson";

const EventInput = z.record(z.string(), z.unknown()).openapi("EventInput", {
  description:
    "One raw event: flat EVTX names (EventID, Channel, Computer, Image…), a Winlogbeat/ECS document (winlog.event_data…), " +
    "an NXLog document (EventID, SourceName, Hostname…) or an {Event: {System, EventData}} document",
  example: { EventID: 1, Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ws-17", Image: "C:\\Windows\\System32\\certutil.exe" },
});

const EventsIngested = z
  .object({
    ids: z.array(z.string()).openapi({ description: "each input's event id, in order (the stored id for a duplicate)" }),
    stored: z.number().int(),
    duplicates: z.number().int(),
    untimed: z.number().int().openapi({ description: "events without a time in a field Nightshift reads: stored with their arrival time" }),
  })
  .openapi("EventsIngested");

const StoredEventBody = z
  .looseObject({
    id: z.string(),
    time: z.string(),
    received_at: z.string(),
    host: z.string().nullable(),
    user: z.string().nullable(),
    process: z.string().nullable(),
    event_id: z.string().nullable(),
    channel: z.string().nullable(),
    origin: z.object({ file: z.string(), record: z.number() }),
    data: z.record(z.string(), z.unknown()).openapi({ description: "the normalised event (only the requested fields when `fields` is given)" }),
  })
  .openapi("StoredEvent");

const ProcessNodeBody = z
  .object({
    event: StoredEventBody,
    children: z.array(z.unknown()).openapi({ description: "child process nodes, same shape" }),
  })
  .openapi("ProcessNode");

const post = createRoute({
  method: "post",
  path: "/api/v1/events",
  tags: ["events"],
  summary: "Store raw events and queue them for detection (analyst, or a signed webhook)",
  description:
    "Bodies as Logstash's http output sends them: a JSON array (`format => json_batch`), one JSON object (`format => json`), " +
    `or NDJSON (\`${NDJSON}\`, one event a line). Events are keyed by content: re-sending one stores nothing and detects nothing. ` +
    `A batch is validated whole: one bad element stores nothing. At most ${MAX_EVENT_BATCH} events a request.`,
  security: anyOf("bearerAuth", "webhookSignature"),
  middleware: [requireRole("analyst", { webhook: true })] as const,
  request: {
    body: {
      required: true,
      content: {
        // Elements are checked by ingestEvents, so a bad one is named by its index (`[3]`), not lost in a union error.
        "application/json": {
          schema: z.union([EventInput, z.array(z.unknown()).openapi({ description: "a batch of EventInput objects" })]),
        },
        [NDJSON]: { schema: z.string().openapi({ description: "one JSON event object a line; blank lines are ignored" }) },
      },
    },
  },
  responses: {
    202: { description: "Stored and queued for detection", content: { "application/json": { schema: EventsIngested } } },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

const Text = z.string().trim().min(1);
const Minutes = (fallback: number) => z.coerce.number().min(0).max(10_080).default(fallback);
const List = z.union([z.string(), z.array(z.string())]).optional();

const search = createRoute({
  method: "get",
  path: "/api/v1/events",
  tags: ["events"],
  summary: "Search stored events, newest first",
  middleware: [requireRole("viewer")] as const,
  request: {
    query: z.object({
      from: Text.optional().openapi({ description: "ISO-8601, inclusive" }),
      to: Text.optional().openapi({ description: "ISO-8601, exclusive" }),
      host: Text.optional(),
      user: Text.optional(),
      event_id: Text.optional(),
      q: Text.optional().openapi({ description: "full text over the event" }),
      filter: List.openapi({ description: "Field:value (equals) or Field (present); repeatable, all must hold" }),
      fields: Text.optional().openapi({ description: "comma-separated data fields to return" }),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      cursor: Text.optional().openapi({ description: "next_cursor of the previous page" }),
    }),
  },
  responses: {
    200: {
      description: "A page of events",
      content: { "application/json": { schema: z.object({ events: z.array(StoredEventBody), next_cursor: z.string().nullable() }) } },
    },
    ...errorResponses(400, 401, 403),
  },
});

const around = createRoute({
  method: "get",
  path: "/api/v1/events/around",
  tags: ["events"],
  summary: "Events of one host or user around a time",
  middleware: [requireRole("viewer")] as const,
  request: {
    query: z.object({
      host: Text.optional(),
      user: Text.optional(),
      time: Text.openapi({ description: "ISO-8601" }),
      before: Minutes(15).openapi({ description: "minutes before (default 15)" }),
      after: Minutes(15).openapi({ description: "minutes after (default 15)" }),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: { description: "Events in time order", content: { "application/json": { schema: z.object({ events: z.array(StoredEventBody) }) } } },
    ...errorResponses(400, 401, 403),
  },
});

const tree = createRoute({
  method: "get",
  path: "/api/v1/events/process-tree",
  tags: ["events"],
  summary: "The process tree around one process, from stored process-creation events",
  middleware: [requireRole("viewer")] as const,
  request: {
    query: z.object({
      host: Text,
      process_guid: Text.optional(),
      process_id: Text.optional(),
      time: Text.optional().openapi({ description: "ISO-8601: which process of that id, when ids were reused" }),
    }),
  },
  responses: {
    200: { description: "The tree, rooted at the oldest known ancestor", content: { "application/json": { schema: ProcessNodeBody } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** NDJSON: every non-blank line one JSON value; a line that does not parse is reported by its number. */
function parseNdjson(body: string): unknown[] {
  const events: unknown[] = [];
  const issues: { path: string; message: string }[] = [];
  body.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      events.push(parseJson(line));
    } catch (error) {
      if (issues.length < 100) issues.push({ path: `[${events.length}]`, message: `line ${index + 1} is not JSON: ${(error as Error).message}` });
      events.push(undefined);
    }
  });
  if (issues.length) throw new ValidationError(`invalid NDJSON body: ${issues.length} line(s) are not JSON; nothing was stored`, issues);
  return events;
}

function filtersOf(filter: string | string[] | undefined): EventQuery["filters"] {
  if (filter === undefined) return undefined;
  return (Array.isArray(filter) ? filter : [filter]).map((text) => {
    const colon = text.indexOf(":");
    return colon < 0 ? { field: text.trim(), value: "", op: "exists" as const } : { field: text.slice(0, colon).trim(), value: text.slice(colon + 1), op: "eq" as const };
  });
}

export function registerEventRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  app.openapi(post, async (c) => {
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    let inputs: unknown[];
    if (type === NDJSON) inputs = parseNdjson(await c.req.text());
    else {
      const body = c.req.valid("json");
      inputs = Array.isArray(body) ? body : [body];
    }
    if (inputs.length === 0) throw new ValidationError("empty batch", [{ path: "", message: "send at least one event" }]);
    if (inputs.length > MAX_EVENT_BATCH)
      return c.json({ error: `batch too large: at most ${MAX_EVENT_BATCH} events per request, this one has ${inputs.length}; nothing was stored` }, 413);
    const file = c.get("principal").kind === "webhook" ? "webhook" : "api";
    const result = await ingestEvents(deps.db, inputs, { origin: { file }, clock: deps.clock });
    return c.json(result, 202);
  });
  app.openapi(search, async (c) => {
    const q = c.req.valid("query");
    const query: EventQuery = {
      ...(q.from && { from: q.from }),
      ...(q.to && { to: q.to }),
      ...(q.host && { host: q.host }),
      ...(q.user && { user: q.user }),
      ...(q.event_id && { event_id: q.event_id }),
      ...(q.q && { text: q.q }),
      ...(q.filter !== undefined && { filters: filtersOf(q.filter) }),
      ...(q.fields && { fields: q.fields.split(",").map((f) => f.trim()).filter(Boolean) }),
      ...(q.cursor && { cursor: q.cursor }),
      limit: q.limit,
    };
    const page = await searchEvents(deps.db, query);
    return c.json({ events: page.events, next_cursor: page.next_cursor }, 200);
  });
  app.openapi(around, async (c) => {
    const q = c.req.valid("query");
    if (q.host === undefined && q.user === undefined)
      throw new ValidationError("give host or user", [{ path: "host", message: "give host or user (or both)" }]);
    const events = await eventsAround(deps.db, {
      ...(q.host && { host: q.host }),
      ...(q.user && { user: q.user }),
      time: q.time,
      before_minutes: q.before,
      after_minutes: q.after,
      limit: q.limit,
    });
    return c.json({ events }, 200);
  });
  app.openapi(tree, async (c) => {
    const q = c.req.valid("query");
    const root = await processTree(deps.db, {
      host: q.host,
      ...(q.process_guid && { process_guid: q.process_guid }),
      ...(q.process_id && { process_id: q.process_id }),
      ...(q.time && { time: q.time }),
    });
    if (!root) throw new NotFoundError(`process ${q.process_guid ?? q.process_id ?? "?"} on ${q.host}`);
    return c.json(root, 200);
  });
}
