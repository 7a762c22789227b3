import { Alert, ConflictError, Enrichment, NotFoundError, ToraOutput, ValidationError, issuesOf, type Clock } from "../../core/index.js";
import { getCase } from "../../cases/index.js";
import { fromJson, type Executor } from "../../store/index.js";
import { getToraDecision } from "../tora/handler.js";
import { unenrichedEnrichment } from "../tora/schema.js";
import { authPart } from "./augment/auth.js";
import { AUGMENT_WINDOW } from "./augment/caps.js";
import { iso, telemetryOf, type AugmentContext } from "./augment/context.js";
import { dnsPart } from "./augment/dns.js";
import { persistencePart, processTreePart } from "./augment/endpoint.js";
import { caseEntities } from "./augment/entities.js";
import { eventsAroundPart } from "./augment/events-around.js";
import { networkPart } from "./augment/network.js";
import { relatedAlertsPart } from "./augment/related-alerts.js";
import { threatActorPart } from "./augment/threat-actor.js";
import { loadOwnInfrastructure } from "./own-infrastructure.js";
import { VeraInput, type Augmentation, type VeraAlertInput } from "./schema.js";

// VERA's input: the case, TORA's decision and the augmentation layer, one part per domain in `augment/`
// (events around the triggers, endpoint, network, authentication, DNS, related alerts, threat actor).

export { AUGMENT_CAPS, AUGMENT_WINDOW } from "./augment/caps.js";
export { caseEntities, type CaseEntities } from "./augment/entities.js";
export { digest } from "./augment/context.js";
export { summariseDestinations } from "./augment/network.js";
export { failureThenSuccess } from "./augment/auth.js";
export { toAuthEvent, toConnection, toDnsLookup } from "../../events/index.js";

/** Reads a case into VERA's input: TORA's decision whole, the case, its alerts and the augmentation layer. */
export async function loadVeraInput(ex: Executor, caseId: string, clock: Clock): Promise<VeraInput> {
  const current = await getCase(ex, caseId);
  if (!current) throw new NotFoundError(`case ${caseId}`);
  const decision = await getToraDecision(ex, caseId);
  if (!decision) throw new ConflictError(`case ${caseId} has no TORA decision to investigate`);
  const tora = ToraOutput.safeParse(decision.output);
  if (!tora.success) throw new ValidationError(`TORA decision ${decision.id} is not a valid TORA output`, issuesOf(tora.error, "tora"));
  const now = clock.now().toISOString();
  const rows = await ex.selectFrom("alerts").select(["id", "doc", "enrichment"]).where("case_id", "=", caseId).orderBy("time").orderBy("id").execute();
  if (rows.length === 0) throw new ConflictError(`case ${caseId} has no alerts to investigate`);
  const alerts: VeraAlertInput[] = rows.map((row) => {
    const parsed = Alert.safeParse(fromJson(row.doc, null));
    if (!parsed.success) throw new ValidationError(`stored alert ${row.id} is invalid`, issuesOf(parsed.error, "alert"));
    const enrichment = Enrichment.safeParse(fromJson(row.enrichment, null));
    return { alert: parsed.data, enrichment: enrichment.success ? enrichment.data : unenrichedEnrichment(parsed.data, now) };
  });
  const augmentation = await augment(ex, caseId, alerts, tora.data);
  const ownInfrastructure = await loadOwnInfrastructure(ex, alerts, tora.data);
  const input = VeraInput.safeParse({
    case_id: caseId,
    now,
    case: current,
    tora: { decision_id: decision.id, analyst: decision.analyst, created_at: decision.created_at, output: tora.data },
    alerts,
    augmentation,
    own_infrastructure: ownInfrastructure,
  });
  if (!input.success) throw new ValidationError(`VERA input for ${caseId} is invalid`, issuesOf(input.error, "input"));
  return input.data;
}

async function augment(ex: Executor, caseId: string, alerts: VeraAlertInput[], tora: ToraOutput): Promise<Augmentation> {
  const entities = caseEntities(alerts, tora);
  const telemetry = telemetryOf(alerts);
  const first = alerts.reduce((min, a) => (a.alert.time < min ? a.alert.time : min), alerts[0]!.alert.time);
  const last = alerts.reduce((max, a) => (a.alert.time > max ? a.alert.time : max), alerts[0]!.alert.time);
  const ctx: AugmentContext = { ex, alerts, entities, telemetry, first: iso(first), last: iso(last) };
  const [events_around, process_trees, persistence, network, authentication, dns_history, related_alerts, threat_actor] = [
    await eventsAroundPart(ctx),
    await processTreePart(ctx),
    await persistencePart(ctx),
    await networkPart(ctx),
    await authPart(ctx),
    await dnsPart(ctx),
    await relatedAlertsPart(ctx, caseId),
    await threatActorPart(ctx),
  ];
  const parts = [events_around, process_trees, persistence, network, authentication, dns_history, related_alerts, threat_actor];
  return {
    window: { before_minutes: AUGMENT_WINDOW.before_minutes, after_minutes: AUGMENT_WINDOW.after_minutes, dns_history_hours: AUGMENT_WINDOW.dns_history_hours },
    events_around,
    process_trees,
    persistence,
    network,
    authentication,
    dns_history,
    related_alerts,
    threat_actor,
    missing_telemetry: [...new Set(parts.flatMap((p) => p.missing_telemetry))],
  };
}
