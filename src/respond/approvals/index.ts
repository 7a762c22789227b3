export { ACTION_STATUSES, ActionOutcome, ActionStatus, ApprovalVote, ResponseAction, actionHash, rowToAction } from "./record.js";
export { ListActionsOptions, countActions, findAction, getAction, listActions } from "./queries.js";
export { RequestActionInput, TargetFacts, requestAction, statusFor, type PolicyContext } from "./request.js";
export { Approver, DECIDING_ROLES, EditInput, approveAction, denyAction, editAndApprove, expireApprovals, type DecisionOptions } from "./decide.js";
