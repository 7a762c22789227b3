import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sharedPath } from "../core/testing.js";

/** Fixtures for the detection stage's tests (here, in the server and in the CLI): real SigmaHQ rules and events. */
const RULES = () => sharedPath("data/sigma/rules/rules/windows");
const TWINS = () => sharedPath("data/sigma/regression_data/regression_data/rules/windows");

export const TEST_RULES = {
  certutilDecode: "process_creation/proc_creation_win_certutil_decode.yml",
  explicitCredentialLogon: "builtin/security/win_security_explicit_credential_local_logon.yml",
  userCreation: "builtin/security/win_security_user_creation.yml",
  memberAddedToGlobalGroup: "builtin/security/account_management/win_security_member_added_security_enabled_global_group.yml",
} as const;

/** SigmaHQ's JSON twins of regression EVTX files: one real event each, and the rule that fires on it. */
export const TWIN_EVENTS = {
  certutilDecode: {
    file: () => path.join(TWINS(), "process_creation/proc_creation_win_certutil_decode/cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7.json"),
    ruleId: "cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7",
    author: "Florian Roth (Nextron Systems), Jonhnathan Ribeiro, oscd.community",
    technique: "T1027",
  },
  explicitCredentialLogon: {
    file: () => path.join(TWINS(), "builtin/security/win_security_explicit_credential_local_logon/e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62.json"),
    ruleId: "e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62",
    author: "Swachchhanda Shrawan Poudel (Nextron Systems)",
    technique: "T1134.003",
  },
} as const;

/** A DeepBlueCLI sample on which `userCreation` and `memberAddedToGlobalGroup` fire once each. */
export const NEW_USER_EVTX = () => sharedPath("data/evtx-samples/DeepBlueCLI/new-user-security.evtx");

/** A temporary rule folder holding the named SigmaHQ rules; `remove` deletes it. */
export function testRuleDir(names: (keyof typeof TEST_RULES)[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "nightshift-rules-"));
  for (const name of names) copyFileSync(path.join(RULES(), TEST_RULES[name]), path.join(dir, `${name}.yml`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
