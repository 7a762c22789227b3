import { eventsAround } from "../../../events/index.js";
import type { Augmentation, PartQuery } from "../schema.js";
import { AUGMENT_CAPS, AUGMENT_WINDOW } from "./caps.js";
import { digest, iso, missingFor, type AugmentContext } from "./context.js";

// Events around each trigger: the raw events of the alert's host and user shortly before and after it.

export async function eventsAroundPart(ctx: AugmentContext): Promise<Augmentation["events_around"]> {
  const queries: PartQuery[] = [];
  const missing: string[] = [];
  const anchors: Augmentation["events_around"]["anchors"] = [];
  let truncated = false;
  const seen = new Set<string>();
  for (const { alert, enrichment } of ctx.alerts) {
    const host = alert.host?.name ?? enrichment.asset?.hostname ?? null;
    const user = alert.user?.name ?? enrichment.identity?.username ?? null;
    for (const [key, value] of [["host", host], ["user", user]] as const) {
      if (!value) continue;
      const id = `${key}:${value.toLowerCase()}:${alert.time.slice(0, 16)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (anchors.length >= AUGMENT_CAPS.anchors) {
        truncated = true;
        continue;
      }
      const args = { [key]: value, time: iso(alert.time), before_minutes: AUGMENT_WINDOW.before_minutes, after_minutes: 30, limit: AUGMENT_CAPS.eventsPerAnchor + 1 };
      queries.push({ source: "events_around", args });
      const events = await eventsAround(ctx.ex, args);
      if (events.length > AUGMENT_CAPS.eventsPerAnchor) truncated = true;
      anchors.push({
        alert_id: alert.id,
        host: key === "host" ? value : null,
        user: key === "user" ? value : null,
        time: iso(alert.time),
        events: events.slice(0, AUGMENT_CAPS.eventsPerAnchor).map(digest),
      });
      if (key === "host" && events.length === 0) {
        const why = missingFor(ctx, value, "edr", `raw events ±${AUGMENT_WINDOW.before_minutes} min around ${iso(alert.time)}`, 0);
        if (why) missing.push(why);
      }
    }
  }
  if (anchors.length === 0) missing.push("raw events: the case names no host or user to look around");
  return { queries, missing_telemetry: [...new Set(missing)], truncated, anchors };
}
