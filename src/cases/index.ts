export { GENESIS_HASH, AuditInput, ListAuditOptions, appendAudit, auditHash, auditMac, listAudit, lockAuditChain, sealPlainChain } from "./audit.js";
export { verifyAuditChain } from "./audit-verify.js";
export type { AuditVerification, VerifyOptions } from "./audit-verify.js";
export { AuditCheckpoint, CHECKPOINT_FORMAT, checkpointSigned, recordCheckpoint, storedCheckpoints } from "./audit-checkpoint.js";
export type { CaseMismatch } from "./audit-replay.js";
export {
  TRANSITIONS,
  TransitionChange,
  TriageFields,
  assignCase,
  flagForHumanVerification,
  canTransition,
  transitionCase,
  updateCaseTriage,
} from "./state-machine.js";
export type { TransitionResult } from "./state-machine.js";
export { caseOutcome, outcomeOf } from "./outcome.js";
export { CrossSourceGroup, GROUPING_ACTOR, GroupingOptions, attachAlert, entityKeyOf, groupKeyOf, groupScopeOf, primaryEntityOf } from "./grouping.js";
export { continuesKillChain, tacticStage } from "./kill-chain.js";
export type { AttachResult } from "./grouping.js";
export { alertObservables } from "./observables.js";
export { relatedAlertRows, sameRuleCaseIds } from "./related.js";
export { caseHandlers } from "./handlers.js";
export {
  CommentInput,
  ListCasesOptions,
  OBSERVABLE_WEIGHTS,
  addComment,
  getCase,
  listCases,
  listComments,
  similarCases,
} from "./service.js";
export type { SimilarCase } from "./service.js";
export { AlertExportLine, CaseExportLine, ExportOptions, caseExportLine, exportAlerts, exportCases } from "./export.js";
export { EXPORT_FORMATS, ExportFormat, exportAlertsAs, exportCasesAs } from "./export-formats.js";
export { ARIA_ACTOR, CREW_TRANSITIONS, SOC_QUEUE, TORA_ACTOR, VERA_ACTOR, crewMayHold, heldByCrew, transitionFor, type CaseTransitionPlan } from "./crew-workflow.js";
export { listCaseAlertRows, type CaseAlertRow } from "./alerts.js";
