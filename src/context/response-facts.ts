import type { Criticality } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { getAsset, getIdentity } from "./queries.js";

/** What the response tier's autonomy policy needs to know about an action's target (src/respond). */
export interface ResponseTargetFacts {
  criticality: Criticality | null;
  environment: string | null;
  do_not_touch: boolean;
  /** Whether the CMDB (or the directory, for an account) knows the target at all. */
  known: boolean;
}

/**
 * A host's criticality, environment and do-not-touch mark from the CMDB (by name, alias or address, as
 * enrichment resolves it); an account's do-not-touch mark from the directory (accounts carry no
 * criticality); an indicator has no owner record. Unknown stays null, never guessed.
 */
export async function responseTargetFacts(ex: Executor, target: { kind: "host" | "account" | "indicator"; value: string }): Promise<ResponseTargetFacts> {
  if (target.kind === "host") {
    const asset = await getAsset(ex, target.value);
    return { criticality: asset?.criticality ?? null, environment: asset?.environment ?? null, do_not_touch: asset?.do_not_touch === true, known: asset !== null };
  }
  if (target.kind === "account") {
    const identity = await getIdentity(ex, target.value);
    return { criticality: null, environment: null, do_not_touch: identity?.do_not_touch === true, known: identity !== null };
  }
  return { criticality: null, environment: null, do_not_touch: false, known: false };
}
