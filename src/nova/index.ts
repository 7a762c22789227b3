export { analyse, analysisId, type AnalyseOptions } from "./analyse.js";
export { collectFacts, alertFacts } from "./collect.js";
export { NovaRunOptions, novaSummary, runNova } from "./run.js";
export { Decider, ListProposalsOptions, decideProposal, getAnalysis, getProposal, listProposals, publishAnalysis, suppressionIdOf, type StoredProposal } from "./store.js";
export { Analysis, Pattern, PatternType, Proposal, ProposalKind, ProposalStatus } from "./schema.js";
export type { AlertFacts, CaseFacts } from "./facts.js";
