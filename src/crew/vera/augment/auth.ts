import { AUTH_EVENT_IDS, toAuthEvent, type StoredEvent } from "../../../events/index.js";
import type { Augmentation, AuthEvent, PartQuery } from "../schema.js";
import { AUGMENT_CAPS, AUGMENT_WINDOW } from "./caps.js";
import { dedupe, missingFor, primaryHosts, search, shift, type AugmentContext } from "./context.js";

// Authentication: logons on the case's hosts and the case's users' logons elsewhere, and password guessing
// that worked (failures then a success from one source).

export function failureThenSuccess(events: AuthEvent[]): Augmentation["authentication"]["summary"]["failure_then_success"] {
  const out: Augmentation["authentication"]["summary"]["failure_then_success"] = [];
  const bySource = new Map<string, AuthEvent[]>();
  for (const e of events) if (e.src_ip && (e.kind === "failure" || e.kind === "success")) bySource.set(e.src_ip, [...(bySource.get(e.src_ip) ?? []), e]);
  for (const [src, list] of bySource) {
    const sorted = [...list].sort((a, b) => (a.time < b.time ? -1 : 1));
    let failures = 0;
    for (const e of sorted) {
      if (e.kind === "failure") failures++;
      else if (failures >= 3) {
        out.push({ src_ip: src, user: e.user, failures, success_time: e.time });
        break;
      }
    }
  }
  return out;
}

export async function authPart(ctx: AugmentContext): Promise<Augmentation["authentication"]> {
  const queries: PartQuery[] = [];
  const found: StoredEvent[] = [];
  let truncated = false;
  const from = shift(ctx.first, -AUGMENT_WINDOW.auth_before_minutes);
  const to = shift(ctx.last, AUGMENT_WINDOW.after_minutes);
  const limit = AUGMENT_CAPS.auth;
  for (const host of primaryHosts(ctx)) {
    for (const eventId of Object.keys(AUTH_EVENT_IDS)) {
      const page = await search(ctx, queries, { host, event_id: eventId, from, to, limit });
      found.push(...page.events);
      truncated ||= page.more;
    }
    const ssh = await search(ctx, queries, { host, filters: [{ field: "program", value: "sshd" }], from, to, limit });
    found.push(...ssh.events);
    truncated ||= ssh.more;
  }
  // The user's logons elsewhere: lateral movement and sign-ins from new places.
  for (const user of ctx.entities.users.slice(0, 3)) {
    const page = await search(ctx, queries, { user, event_id: "4624", from, to, limit });
    found.push(...page.events);
    truncated ||= page.more;
  }
  const events = dedupe(found)
    .map(toAuthEvent)
    .filter((e): e is AuthEvent => e !== null);
  if (events.length > limit) truncated = true;
  const missing: string[] = [];
  if (events.length === 0) {
    const host = primaryHosts(ctx)[0] ?? null;
    const why = missingFor(ctx, host, "auth_logs", `authentication events (4624/4625/4648/4672, sshd) from ${from} to ${to}`, 0);
    if (why) missing.push(why);
  }
  return {
    queries,
    missing_telemetry: missing,
    truncated,
    events: events.slice(0, limit),
    summary: {
      failures: events.filter((e) => e.kind === "failure").length,
      successes: events.filter((e) => e.kind === "success").length,
      failure_then_success: failureThenSuccess(events),
    },
  };
}
