import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { setCookie } from "hono/cookie";
import { TOKEN_COOKIE, authenticateRequest, requireRole } from "../auth/middleware.js";
import { authenticate } from "../auth/tokens.js";
import type { AppEnv, ServerDeps } from "../context.js";
import { anyOf, errorJson, errorResponses } from "../errors.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

export function journalRoot(deps: ServerDeps): string {
  return path.resolve(deps.journalDir ?? path.join(deps.config.home, "journal", "site"));
}

/**
 * The URL path below /journal/ as safe path segments, or null. Works on the still-encoded path so that
 * `%2e%2e` and `%2f` cannot smuggle a `..` or a separator past the URL parser's own normalisation;
 * dot-files are refused too.
 */
export function journalSegments(encodedPath: string): string[] | null {
  const rest = encodedPath.replace(/^\/journal\/?/, "");
  const segments: string[] = [];
  for (const raw of rest.split("/")) {
    if (raw === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment.startsWith(".") || /[/\\\0]/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root + path.sep);
}

async function serveJournal(c: Context<AppEnv>, deps: ServerDeps): Promise<Response> {
  const root = journalRoot(deps);
  const rootReal = await realpath(root).catch(() => null);
  if (!rootReal) return errorJson(c, 404, "the journal has not been built yet (nightshift journal build)");
  const encodedPath = new URL(c.req.url).pathname;
  const segments = journalSegments(encodedPath);
  if (!segments) return errorJson(c, 404, "not found");
  let target = path.join(rootReal, ...segments);
  // Symbolic links inside the site must not lead out of it.
  const real = await realpath(target).catch(() => null);
  if (!real || !inside(rootReal, real)) return errorJson(c, 404, "not found");
  let info = await stat(real);
  if (info.isDirectory()) {
    if (!encodedPath.endsWith("/")) return c.redirect(`${encodedPath}/`, 301);
    target = path.join(real, "index.html");
    const index = await realpath(target).catch(() => null);
    if (!index || !inside(rootReal, index)) return errorJson(c, 404, "not found");
    target = index;
    info = await stat(target);
  } else {
    target = real;
  }
  if (!info.isFile()) return errorJson(c, 404, "not found");
  const body = await readFile(target);
  c.header("Content-Type", CONTENT_TYPES[path.extname(target).toLowerCase()] ?? "application/octet-stream");
  c.header("Cache-Control", "no-cache");
  return c.body(body, 200);
}

const JournalPath = z.object({
  path: z.string().openapi({ param: { name: "path", in: "path" }, description: "file below the site; a directory serves its index.html" }),
});

/** Documentation only: the handler is a wildcard route that OpenAPI paths cannot express. */
const journalDoc = {
  method: "get" as const,
  path: "/journal/{path}",
  tags: ["journal"],
  summary: "The journal's static site (bearer token or the nightshift_token cookie)",
  security: anyOf("bearerAuth", "journalCookie"),
  request: { params: JournalPath },
  responses: {
    200: { description: "A file of the built site", content: { "text/html": { schema: z.string() } } },
    301: { description: "A directory without its trailing slash" },
    ...errorResponses(401, 404),
  },
};

const login = createRoute({
  method: "get",
  path: "/login",
  tags: ["journal"],
  summary: "Sign a browser in to the journal: sets an HttpOnly cookie and redirects to /journal/",
  security: [],
  request: { query: z.object({ token: z.string().min(1).openapi({ description: "a bearer token" }) }) },
  responses: { 303: { description: "Signed in; redirect to /journal/" }, ...errorResponses(400, 401) },
});

const root = createRoute({
  method: "get",
  path: "/",
  tags: ["journal"],
  summary: "Redirect to the journal",
  security: [],
  responses: { 302: { description: "Redirect to /journal/" } },
});

export function registerJournalRoutes(app: OpenAPIHono<AppEnv>, deps: ServerDeps) {
  const auth = authenticateRequest(deps, { acceptsCookie: true });
  app.openAPIRegistry.registerPath(journalDoc);
  app.openapi(root, (c) => c.redirect("/journal/", 302));
  app.openapi(login, async (c) => {
    const { token } = c.req.valid("query");
    // The token travelled in the URL: keep it out of any Referer sent from the next page.
    c.header("Referrer-Policy", "no-referrer");
    if (!(await authenticate(deps.db, token, deps.clock))) {
      c.header("WWW-Authenticate", 'Bearer realm="nightshift", error="invalid_token"');
      return c.json({ error: "invalid or revoked token" }, 401);
    }
    setCookie(c, TOKEN_COOKIE, token, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/journal",
      secure: new URL(c.req.url).protocol === "https:",
    });
    return c.redirect("/journal/", 303);
  });
  app.get("/journal", auth, requireRole("viewer"), (c) => c.redirect("/journal/", 301));
  app.get("/journal/*", auth, requireRole("viewer"), (c) => serveJournal(c, deps));
}
