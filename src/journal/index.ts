export { renderDecisionPost, decisionPostPath, type CaseRow, type RenderOptions, type RenderedPost } from "./post.js";
export { redact, redactValue, DEFAULT_REDACTION_POLICY, type RedactionPolicy, type RedactionRule } from "./redact.js";
export { POST_KEYS, PostFrontmatter, formatPost, parsePost, type ParsedPost } from "./frontmatter.js";
export {
  ShiftWindow,
  journalDir,
  journalHandlers,
  writeAllDecisionPosts,
  writeDecisionPost,
  writeShiftReview,
  type ShiftReviewOptions,
  type JournalHandlerOptions,
} from "./writer.js";
export { buildJournalSite, escapeHtml, type SiteBuild } from "./site.js";
