import { isHostile, type CaseFacts } from "./facts.js";

export interface Campaign {
  cases: string[];
  /** The indicators (`type:value`) at least two of its cases share. */
  shared: string[];
  /** At least one of its cases was judged hostile. */
  hostile: boolean;
}

/**
 * Cases linked by shared indicators or infrastructure (a domain, URL, file hash or destination address seen in
 * more than one case), as connected components. An indicator present in more than `maxFanout` cases is
 * common infrastructure (a resolver, an update server) and links nothing.
 */
export function linkCampaigns(cases: CaseFacts[], options: { maxFanout?: number } = {}): Campaign[] {
  const maxFanout = options.maxFanout ?? 50;
  const byIndicator = new Map<string, Set<string>>();
  for (const c of cases) for (const a of c.alerts) for (const i of a.indicators) byIndicator.set(i, (byIndicator.get(i) ?? new Set()).add(c.case_id));

  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  for (const c of cases) parent.set(c.case_id, c.case_id);
  const links = [...byIndicator.entries()].filter(([, ids]) => ids.size >= 2 && ids.size <= maxFanout);
  for (const [, ids] of links) {
    const [first, ...rest] = [...ids];
    for (const id of rest) parent.set(find(id), find(first!));
  }

  const components = new Map<string, string[]>();
  for (const c of cases) {
    const root = find(c.case_id);
    components.set(root, [...(components.get(root) ?? []), c.case_id]);
  }
  const byId = new Map(cases.map((c) => [c.case_id, c]));
  return [...components.values()]
    .filter((ids) => ids.length >= 2)
    .map((ids) => {
      const members = new Set(ids);
      const shared = links.filter(([, set]) => [...set].some((id) => members.has(id))).map(([i]) => i);
      return { cases: ids.sort(), shared: shared.sort(), hostile: ids.some((id) => isHostile(byId.get(id)!)) };
    })
    .sort((a, b) => b.cases.length - a.cases.length || a.cases[0]!.localeCompare(b.cases[0]!));
}
