import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Marked, type Tokens } from "marked";
import { parsePost, type PostFrontmatter } from "./frontmatter.js";
import { safeSegment } from "./post.js";
import { journalDir } from "./writer.js";
import { groupBy } from "./group-by.js";

export interface SiteBuild {
  dir: string;
  pages: number;
  posts: number;
}

interface SitePost {
  /** Site-relative page path, e.g. `posts/TORA-20261124-0007/1-tora-1a2b3c4d.html`. */
  page: string;
  frontmatter: PostFrontmatter;
  html: string;
}

/**
 * Renders `$home/journal/posts/**.md` (and each decision's reasoning trace, `traces/**.md`, as a page linked
 * from its post) into `$home/journal/site/`. Everything an alert can touch is
 * attacker-controlled, so raw HTML in Markdown is shown as text, links never leave the site, and every
 * frontmatter value is escaped. The new site is built aside and swapped in, so stale pages disappear.
 */
export async function buildJournalSite(home: string): Promise<SiteBuild> {
  const journal = journalDir(home);
  const postsDir = path.join(journal, "posts");
  const sources = await listMarkdown(postsDir);
  const posts: SitePost[] = [];
  for (const relative of sources) {
    const text = await readFile(path.join(postsDir, ...relative.split("/")), "utf8");
    const { frontmatter, body } = parsePost(text, `posts/${relative}`);
    posts.push({
      page: `posts/${relative.split("/").map(safeSegment).join("/").replace(/\.md$/, ".html")}`,
      frontmatter,
      html: renderMarkdown(body),
    });
  }
  posts.sort(newestFirst);
  // Each decision's full reasoning trace: a page of its own, linked from the post, listed nowhere else.
  const tracesDir = path.join(journal, "traces");
  const traces: SitePost[] = [];
  const postSources = new Set(sources);
  for (const relative of await listMarkdown(tracesDir)) {
    if (!postSources.has(relative)) continue;
    const text = await readFile(path.join(tracesDir, ...relative.split("/")), "utf8");
    const { frontmatter, body } = parsePost(text, `traces/${relative}`);
    traces.push({ page: `traces/${relative.split("/").map(safeSegment).join("/").replace(/\.md$/, ".html")}`, frontmatter, html: renderMarkdown(body) });
  }

  const pages = new Map<string, string>();
  pages.set("index.html", indexPage(posts));
  const agents = agentsOf(posts);
  for (const [agent, own] of groupBy(posts, (post) => post.frontmatter.author)) pages.set(agentPage(agent), agentHtml(agent, own, agents));
  const caseIds = [...new Set(posts.flatMap((post) => post.frontmatter.case_ids))].sort();
  // Each case's posts, in site order, looked up once: scanning every post per case and per post made a
  // rebuild quadratic (seconds of blocked event loop for a few thousand posts, while serve takes alerts in).
  const byCase = new Map<string, SitePost[]>();
  for (const post of posts)
    for (const caseId of new Set(post.frontmatter.case_ids)) {
      const list = byCase.get(caseId);
      if (list) list.push(post);
      else byCase.set(caseId, [post]);
    }
  for (const caseId of caseIds) pages.set(casePage(caseId), caseHtml(caseId, byCase.get(caseId) ?? [], agents));
  for (const post of posts)
    pages.set(post.page, postHtml(post, post.frontmatter.case_ids.length === 1 ? (byCase.get(post.frontmatter.case_ids[0]!) ?? []) : [], agents));
  for (const trace of traces) pages.set(trace.page, traceHtml(trace, agents));

  const target = path.join(journal, "site");
  const staging = path.join(journal, `.site-${randomUUID().slice(0, 8)}`);
  try {
    await mkdir(staging, { recursive: true });
    await writeFile(path.join(staging, STYLESHEET), CSS, "utf8");
    for (const [page, html] of pages) {
      const file = path.join(staging, ...page.split("/"));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, html, "utf8");
    }
    await swapDirectory(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { dir: target, pages: pages.size, posts: posts.length };
}

async function swapDirectory(fresh: string, target: string): Promise<void> {
  const old = `${path.dirname(target)}/.site-old-${randomUUID().slice(0, 8)}`;
  let moved = false;
  try {
    await rename(target, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await rename(fresh, target);
  if (moved) await rm(old, { recursive: true, force: true });
}

async function listMarkdown(dir: string, prefix = ""): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith(".")) continue;
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listMarkdown(path.join(dir, entry.name), relative)));
    else if (entry.isFile() && entry.name.endsWith(".md")) out.push(relative);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Markdown, made safe

const markdown = new Marked({ gfm: true, async: false });
markdown.use({
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      const text = escapeHtml(token.text);
      return token.block ? `<pre class="raw-html">${text}</pre>\n` : text;
    },
    link(token: Tokens.Link): string {
      const text = this.parser.parseInline(token.tokens);
      if (isLocalHref(token.href)) {
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : "";
        // Posts link each other (and their traces) as Markdown files: on the site, the rendered page.
        const target = token.href.replace(/\.md(#[^#]*)?$/, ".html$1");
        return `<a href="${escapeHtml(target)}"${title}>${text}</a>`;
      }
      // Links from alert content point at attacker infrastructure: shown, never clickable.
      return token.text === token.href ? `<span class="ioc">${text}</span>` : `${text} <code class="ioc">${escapeHtml(token.href)}</code>`;
    },
    image(token: Tokens.Image): string {
      return `<span class="image">[image: ${escapeHtml(token.text)}] <code class="ioc">${escapeHtml(token.href)}</code></span>`;
    },
  },
});

function renderMarkdown(body: string): string {
  return markdown.parse(body, { async: false });
}

function isLocalHref(href: string): boolean {
  const trimmed = href.trim();
  if (!trimmed || /^[a-z][a-z0-9+.-]*:/i.test(trimmed) || /^[/\\]{2}/.test(trimmed)) return false;
  return ![...trimmed].some((char) => char.charCodeAt(0) < 0x20);
}

export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

// ---------------------------------------------------------------------------------------------------
// Pages

const STYLESHEET = "style.css";

function agentPage(agent: string): string {
  return `agents/${safeSegment(agent.toLowerCase())}.html`;
}

function casePage(caseId: string): string {
  return `cases/${safeSegment(caseId)}.html`;
}

/** A link from one site page to another, relative so the site works from disk and under any prefix. */
/**
 * A post's HTML shown on another page (the case page): its relative links (the trace, other posts) were
 * written from the post's own page and are re-aimed from the page it is shown on.
 */
function rebaseLinks(html: string, fromPage: string, toPage: string): string {
  return html.replace(/<a href="([^"]*)"/g, (whole, target: string) => {
    if (/^([a-z][a-z0-9+.-]*:|[/\\#])/i.test(target)) return whole;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(fromPage), target.replace(/&amp;/g, "&")));
    if (resolved.startsWith("..")) return whole;
    return `<a href="${escapeHtml(path.posix.relative(path.posix.dirname(toPage), resolved))}"`;
  });
}

function href(from: string, to: string): string {
  const relative = path.posix.relative(path.posix.dirname(from), to);
  return escapeHtml(relative.split("/").map((segment) => (segment === ".." ? segment : encodeURIComponent(segment))).join("/"));
}

function layout(page: string, title: string, main: string, agents: string[]): string {
  const nav = agents.map((agent) => `<a href="${href(page, agentPage(agent))}">${escapeHtml(agent)}</a>`).join(" ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Nightshift journal</title>
<link rel="stylesheet" href="${href(page, STYLESHEET)}">
</head>
<body>
<header class="site"><a class="home" href="${href(page, "index.html")}">Nightshift journal</a><nav>${nav}</nav></header>
<main>
${main}
</main>
<footer class="site">Written by the crew. Sensitive values are redacted before publishing; indicators are never links.</footer>
</body>
</html>
`;
}

function agentsOf(posts: SitePost[]): string[] {
  const tiers = new Map<string, number>();
  for (const post of posts) {
    const tier = tiers.get(post.frontmatter.author);
    if (tier === undefined || post.frontmatter.tier < tier) tiers.set(post.frontmatter.author, post.frontmatter.tier);
  }
  return [...tiers.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([agent]) => agent);
}

function caseLinks(page: string, caseIds: string[], limit = 6): string {
  const shown = caseIds.slice(0, limit).map((id) => `<a href="${href(page, casePage(id))}">${escapeHtml(id)}</a>`);
  if (caseIds.length > limit) shown.push(`<span class="more">+${caseIds.length - limit} more</span>`);
  return shown.join(", ");
}

function disposition(value: string): string {
  return `<span class="disposition d-${escapeHtml(value.toLowerCase().replace(/[^a-z0-9]+/g, "-"))}">${escapeHtml(value)}</span>`;
}

function when(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.slice(0, 16).replace("T", " "))} UTC</time>`;
}

function postTable(page: string, posts: SitePost[], columns: { agent: boolean }): string {
  const rows = posts.map((post) => {
    const fm = post.frontmatter;
    return `<tr>
<td>${when(fm.pubDatetime)}</td>
${columns.agent ? `<td><a href="${href(page, agentPage(fm.author))}">${escapeHtml(fm.author)}</a> <span class="tier">T${escapeHtml(fm.tier)}</span></td>` : ""}
<td>${caseLinks(page, fm.case_ids)}</td>
<td>${disposition(fm.disposition)}</td>
<td><a href="${href(page, post.page)}">${escapeHtml(fm.title)}</a><div class="description">${escapeHtml(fm.description)}</div></td>
</tr>`;
  });
  return `<table class="posts">
<thead><tr><th>published</th>${columns.agent ? "<th>agent</th>" : ""}<th>case</th><th>disposition</th><th>post</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}

function indexPage(posts: SitePost[]): string {
  const page = "index.html";
  const agents = agentsOf(posts);
  const byCase = new Map<string, SitePost[]>();
  for (const post of posts)
    for (const id of post.frontmatter.case_ids) {
      const list = byCase.get(id);
      if (list) list.push(post);
      else byCase.set(id, [post]);
    }
  const caseList = [...byCase.keys()]
    .sort()
    .reverse()
    .map((id) => {
      // Posts are newest first, so the first single-case post is where the case stands now.
      const last = byCase.get(id)!.find((post) => post.frontmatter.case_ids.length === 1);
      return `<li><a href="${href(page, casePage(id))}">${escapeHtml(id)}</a>${last ? ` ${disposition(last.frontmatter.disposition)} <span class="muted">by ${escapeHtml(last.frontmatter.author)}</span>` : ""}</li>`;
    });
  const agentList = agents.map((agent) => {
    const count = posts.filter((post) => post.frontmatter.author === agent).length;
    return `<li><a href="${href(page, agentPage(agent))}">${escapeHtml(agent)}</a> <span class="muted">${count} post${count === 1 ? "" : "s"}</span></li>`;
  });
  const main = posts.length
    ? `<h1>Journal</h1>
<p class="muted">${posts.length} post${posts.length === 1 ? "" : "s"} by ${agents.length} agent${agents.length === 1 ? "" : "s"} on ${byCase.size} case${byCase.size === 1 ? "" : "s"}, newest first.</p>
${postTable(page, posts, { agent: true })}
<div class="columns">
<section><h2>Agents</h2><ul>${agentList.join("")}</ul></section>
<section><h2>Cases</h2><ul class="cases">${caseList.join("")}</ul></section>
</div>`
    : `<h1>Journal</h1><p>No posts yet. The crew writes one for every decision.</p>`;
  return layout(page, "Journal", main, agents);
}

function agentHtml(agent: string, own: SitePost[], agents: string[]): string {
  const page = agentPage(agent);
  const tiers = [...new Set(own.map((post) => post.frontmatter.tier))].sort();
  const caseCount = new Set(own.flatMap((post) => post.frontmatter.case_ids)).size;
  const main = `<h1>${escapeHtml(agent)}</h1>
<p class="muted">Tier ${tiers.map(escapeHtml).join(", ")} · ${own.length} post${own.length === 1 ? "" : "s"} across ${caseCount} case${caseCount === 1 ? "" : "s"}, newest first.</p>
${postTable(page, own, { agent: false })}`;
  return layout(page, agent, main, agents);
}

/** `related`: the posts naming this case, in site order. */
function caseHtml(caseId: string, related: SitePost[], agents: string[]): string {
  const page = casePage(caseId);
  const writeUps = related.filter((post) => post.frontmatter.case_ids.length === 1).sort(tierOrder);
  const mentions = related.filter((post) => post.frontmatter.case_ids.length > 1).sort(newestFirst);
  const articles = writeUps.map((post) => {
    const fm = post.frontmatter;
    return `<article class="tier-post">
<header>
<h2><span class="tier">Tier ${escapeHtml(fm.tier)}</span> <a href="${href(page, agentPage(fm.author))}">${escapeHtml(fm.author)}</a> ${disposition(fm.disposition)}</h2>
<p class="meta">${when(fm.pubDatetime)} · <a href="${href(page, post.page)}">${escapeHtml(fm.title)}</a></p>
</header>
<div class="body">
${rebaseLinks(post.html, post.page, page)}
</div>
</article>`;
  });
  const latest = writeUps.at(-1)?.frontmatter;
  const main = `<h1>${escapeHtml(caseId)}</h1>
${latest ? `<p class="lead">${escapeHtml(latest.title)}</p>` : ""}
<nav class="chain">${writeUps.map((post) => `<a href="${href(page, post.page)}">T${escapeHtml(post.frontmatter.tier)} ${escapeHtml(post.frontmatter.author)}: ${escapeHtml(post.frontmatter.disposition)}</a>`).join(" → ")}</nav>
${articles.join("\n") || "<p>No write-up for this case yet.</p>"}
${mentions.length ? `<section><h2>Also mentioned in</h2><ul>${mentions.map((post) => `<li><a href="${href(page, post.page)}">${escapeHtml(post.frontmatter.title)}</a> <span class="muted">by ${escapeHtml(post.frontmatter.author)}</span></li>`).join("")}</ul></section>` : ""}`;
  return layout(page, caseId, main, agents);
}

/** `sameCase`: the posts naming this post's case, when it names exactly one (in site order). */
function postHtml(post: SitePost, sameCase: SitePost[], agents: string[]): string {
  const page = post.page;
  const fm = post.frontmatter;
  const facts: [string, string][] = [
    ["author", `<a href="${href(page, agentPage(fm.author))}">${escapeHtml(fm.author)}</a>`],
    ["tier", escapeHtml(fm.tier)],
    ["disposition", disposition(fm.disposition)],
    ["published", when(fm.pubDatetime)],
    ["shift", escapeHtml(fm.shift)],
  ];
  if (fm.priority) facts.push(["priority", escapeHtml(fm.priority)]);
  if (fm.severity) facts.push(["severity", escapeHtml(fm.severity)]);
  if (fm.confidence != null) facts.push(["confidence", escapeHtml(fm.confidence)]);
  if (fm.case_ids.length) facts.push([fm.case_ids.length === 1 ? "case" : "cases", caseLinks(page, fm.case_ids, 50)]);
  if (fm.schema_version != null) facts.push(["schema", `v${escapeHtml(fm.schema_version)}`]);
  const siblings =
    fm.case_ids.length === 1
      ? sameCase.filter((other) => other !== post && other.frontmatter.case_ids.length === 1).sort(tierOrder)
      : [];
  const main = `<article class="post">
<header>
<h1>${escapeHtml(fm.title)}</h1>
<p class="lead">${escapeHtml(fm.description)}</p>
<dl class="facts">${facts.map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${value}</dd>`).join("")}</dl>
${fm.tags.length ? `<ul class="tags">${fm.tags.map((tag) => `<li>${escapeHtml(tag)}</li>`).join("")}</ul>` : ""}
</header>
<div class="body">
${post.html}
</div>
</article>
${siblings.length ? `<nav class="siblings"><h2>This case at other tiers</h2><ul>${siblings.map((other) => `<li><a href="${href(page, other.page)}">T${escapeHtml(other.frontmatter.tier)} ${escapeHtml(other.frontmatter.author)} · ${escapeHtml(other.frontmatter.disposition)}</a></li>`).join("")}</ul></nav>` : ""}`;
  return layout(page, fm.title, main, agents);
}

/** A decision's reasoning trace: its title and body, and the way back to the case. */
function traceHtml(trace: SitePost, agents: string[]): string {
  const page = trace.page;
  const fm = trace.frontmatter;
  const main = `<article class="post trace">
<header>
<h1>${escapeHtml(fm.title)}</h1>
<p class="meta">${escapeHtml(fm.author)} · tier ${escapeHtml(fm.tier)} · ${disposition(fm.disposition)} · ${when(fm.pubDatetime)}${fm.case_ids.length ? ` · ${caseLinks(page, fm.case_ids, 10)}` : ""}</p>
</header>
<div class="body">
${trace.html}
</div>
</article>`;
  return layout(page, fm.title, main, agents);
}

function newestFirst(a: SitePost, b: SitePost): number {
  return b.frontmatter.pubDatetime.localeCompare(a.frontmatter.pubDatetime) || a.page.localeCompare(b.page);
}

function tierOrder(a: SitePost, b: SitePost): number {
  return a.frontmatter.tier - b.frontmatter.tier || a.frontmatter.pubDatetime.localeCompare(b.frontmatter.pubDatetime) || a.page.localeCompare(b.page);
}

const CSS = `:root {
  --fg: #1d232b; --muted: #5b6673; --bg: #fbfbf9; --panel: #ffffff; --line: #e2e4e8; --accent: #2f5d8a;
  --closed: #2f7a4b; --escalated: #b3471d; --insufficient: #8a6d00; --review: #5a4a8a;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  line-height: 1.55; color: var(--fg); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root { --fg: #e4e6ea; --muted: #9aa4b1; --bg: #15181c; --panel: #1c2026; --line: #2c323a; --accent: #8bb8e8;
    --closed: #6cc490; --escalated: #f08a5d; --insufficient: #e0c050; --review: #b7a6f0; }
}
body { margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
a { color: var(--accent); }
header.site { display: flex; gap: 1.5rem; align-items: baseline; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.site .home { font-weight: 700; text-decoration: none; }
header.site nav a { margin-right: .75rem; }
footer.site { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
h1 { font-size: 1.6rem; margin: 1rem 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin-top: 1.75rem; }
h3 { font-size: 1.05rem; }
.muted, .description, .meta { color: var(--muted); }
.description { font-size: .9rem; }
.lead { font-size: 1.05rem; color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
td:first-child { white-space: nowrap; }
.disposition { font-size: .75rem; font-weight: 700; letter-spacing: .03em; padding: .05rem .4rem; border-radius: .25rem; border: 1px solid currentColor; white-space: nowrap; }
.d-closed { color: var(--closed); } .d-escalated, .d-escalate-to-aria { color: var(--escalated); }
.d-insufficient-context, .d-hold { color: var(--insufficient); } .d-shift-review { color: var(--review); }
.tier { font-size: .75rem; color: var(--muted); }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1.5rem; }
ul.cases { columns: 2; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; font-size: .9rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ul.tags { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .35rem; }
ul.tags li { font-size: .8rem; background: var(--panel); border: 1px solid var(--line); border-radius: 1rem; padding: 0 .6rem; }
article.tier-post { background: var(--panel); border: 1px solid var(--line); border-radius: .5rem; padding: .25rem 1.25rem 1rem; margin: 1.25rem 0; }
nav.chain { margin: .5rem 0 1rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }
code { overflow-wrap: anywhere; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .75rem; overflow-x: auto; border-radius: .35rem; }
pre.raw-html { white-space: pre-wrap; }
.ioc { color: var(--escalated); }
blockquote { margin: 0; padding-left: 1rem; border-left: 3px solid var(--line); color: var(--muted); }
`;
