export { renderDecisionPost, decisionPostPath, type CaseRow, type RenderOptions, type RenderedPost } from "./post.js";
export { redact, redactValue, DEFAULT_REDACTION_POLICY, type RedactionPolicy, type RedactionRule } from "./redact.js";
export { POST_KEYS, PostFrontmatter, formatPost, parsePost, type ParsedPost } from "./frontmatter.js";
export { journalDir, writeAllDecisionPosts, writeDecisionPost } from "./writer.js";
export { journalHandlers, type JournalHandlerOptions } from "./handler.js";
export { ShiftWindow, writeShiftReview, type ShiftReviewOptions } from "./shift-review.js";
export { buildJournalSite, escapeHtml, type SiteBuild } from "./site.js";
