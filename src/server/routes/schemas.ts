import { z } from "@hono/zod-openapi";
import { Alert, AuditEvent, Case, CaseId, Comment } from "../../core/index.js";

/**
 * Response schemas, registered once as OpenAPI components. Core's schemas were built before
 * @hono/zod-openapi extended zod, so they are named with zod's own `.meta({ id })`, which the generator reads.
 */
export const AlertBody = Alert.extend({
  case_id: z.string().nullable(),
  stage: z.string().openapi({ description: "how far the pipeline has taken it: received, enriched, grouped" }),
  enrichment: z.unknown().openapi({ description: "the Enrichment record once enriched, else null" }),
  duplicates: z.number().int().openapi({ description: "further deliveries of exactly the same content collapsed into this alert" }),
}).openapi("StoredAlert");
export const CaseBody = Case.meta({ id: "Case" });
export const CommentBody = Comment.meta({ id: "Comment" });
export const AuditEventBody = AuditEvent.meta({ id: "AuditEvent" });

export const CaseIdParam = z.object({ id: CaseId.meta({ description: "a case id such as TORA-20261124-0007" }) });

export const Limit = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).openapi({ description: `page size (default ${fallback}, at most ${max})` });
export const Offset = () =>
  z.coerce.number().int().min(0).default(0).openapi({ description: "rows to skip" });
