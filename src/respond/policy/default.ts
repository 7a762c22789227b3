import { AutonomyPolicy } from "./schema.js";

/**
 * The policy in force when none is configured (documented in the README, "Response (ARIA)"): nothing on a
 * do-not-touch target, two people for a disruptive action on a critical asset, one for any other disruptive
 * action; what only observes or restores (AV scan, investigation package, release, enable, unblock) runs and
 * notifies.
 */
export const DEFAULT_POLICY_TEXT = `# Nightshift's default autonomy policy
schema_version: 1
timezone: UTC
approval_ttl_minutes: 240
rules:
  - name: do-not-touch
    description: assets and accounts marked do-not-touch are never acted on
    when: {do_not_touch: true}
    decision: forbidden
  - name: disruptive-critical
    description: two people approve a disruptive action on a critical asset
    when: {disruptive: true, criticality: [critical]}
    decision: needs_two_approvals
  - name: disruptive
    description: a human approves anything disruptive
    when: {disruptive: true}
    decision: needs_approval
  - name: non-disruptive
    description: actions that only observe or restore run, then notify
    when: {disruptive: false}
    decision: auto_then_notify
default: needs_approval
`;

export const DEFAULT_POLICY: AutonomyPolicy = AutonomyPolicy.parse({
  schema_version: 1,
  timezone: "UTC",
  approval_ttl_minutes: 240,
  rules: [
    { name: "do-not-touch", description: "assets and accounts marked do-not-touch are never acted on", when: { do_not_touch: true }, decision: "forbidden" },
    { name: "disruptive-critical", description: "two people approve a disruptive action on a critical asset", when: { disruptive: true, criticality: ["critical"] }, decision: "needs_two_approvals" },
    { name: "disruptive", description: "a human approves anything disruptive", when: { disruptive: true }, decision: "needs_approval" },
    { name: "non-disruptive", description: "actions that only observe or restore run, then notify", when: { disruptive: false }, decision: "auto_then_notify" },
  ],
  default: "needs_approval",
});
