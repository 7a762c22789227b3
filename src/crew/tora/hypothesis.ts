import { urlHost } from "../../core/index.js";
import type { CaseAssessment } from "../assessment/assessment.js";
import type { AlertFacts } from "../assessment/facts.js";
import { addMinutes, listOf, quote, shortTime, uniqueCaseless } from "../assessment/text.js";

/**
 * A hypothesis TORA hands to VERA: what was seen (values from the axes), what would be observed if it
 * is true, and what observation refutes it. Built from structured fields; free text is only quoted.
 */
export interface Hypothesis {
  text: string;
  /** It stands on axis data (a concrete pivot on at least two axes), so it can be tested. */
  articulable: boolean;
  focus: string[];
}

export function buildHypothesis(a: CaseAssessment): Hypothesis {
  const f = a.primary;
  const built = a.bruteForceChain || f.family === "auth" ? authHypothesis(a, f) : byFamily(a, f);
  const focus = [...built.focus];
  if (a.spreadAssets.length >= 2) focus.push(`Scope: the indicator is also on ${listOf(a.spreadAssets, 6)}; check each for the same activity.`);
  if (a.context.missingFields.length) focus.push(`Fill the missing context before concluding: ${listOf(a.context.missingFields, 8)}.`);
  return { text: built.text, articulable: a.context.grounded, focus };
}

function byFamily(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  if (f.family === "dns") {
    if (f.subtype.includes("tunnel") || (f.dns?.tunnellingShape && !f.subtype.includes("flux"))) return dnsTunnelling(a, f);
    if (f.subtype.includes("fast_flux")) return dnsFastFlux(a, f);
    return dnsLookup(a, f);
  }
  if (f.family === "phishing") return phishing(a, f);
  if (f.family === "process") return processExecution(a, f);
  return generic(a, f);
}

const hostOf = (f: AlertFacts) => f.host ?? f.hostIp ?? f.srcIp ?? "the source host";
const hostWithIp = (f: AlertFacts) => (f.host && f.hostIp ? `${f.host} (${f.hostIp})` : hostOf(f));
const at = (f: AlertFacts) => shortTime(f.time);
const later = (f: AlertFacts, minutes: number) => shortTime(addMinutes(f.time, minutes));
const intelClause = (f: AlertFacts) => (f.intel.best ? `; intel: ${f.intel.summary}` : "");
const windowHours = (a: CaseAssessment) => Math.max(24, ...a.facts.map((f) => f.enrichment.history.window_hours));

function dnsLookup(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  const h = hostWithIp(f);
  const domain = f.domain ?? f.dstIp ?? "the queried domain";
  const answers = f.dns?.answers ?? [];
  const targets = answers.length ? listOf(answers) : (f.dstIp ?? domain);
  // Naming a malware family on weak or stale intel would overclaim.
  const malware = f.intel.strength === "strong" || f.intel.strength === "moderate" ? f.intel.best?.associated_malware : null;
  const rcode = f.dns?.responseCode ?? "response unknown";
  let text: string;
  if (f.dns?.resolved === true) {
    text =
      `${h} resolved ${domain} at ${at(f)} (NOERROR${answers.length ? `, answers ${listOf(answers)}` : ""}${intelClause(f)}). ` +
      `If ${hostOf(f)} is compromised${malware ? ` by ${malware}` : ""}, netflow/EDR after ${at(f)} will show a non-browser process on ${hostOf(f)} connecting to ${targets}, periodically if it beacons; ` +
      `no connection from ${hostOf(f)} to ${targets} between ${at(f)} and ${later(f, 60)}, or a single browser-initiated lookup, refutes it.`;
  } else if (f.dns?.resolved === false) {
    text =
      `${h} queried ${domain} at ${at(f)} and it did not resolve (NXDOMAIN${intelClause(f)}). ` +
      `If an implant on ${hostOf(f)} is hunting for its C2, DNS logs will show the same process repeating the lookup or trying sibling domains${f.dns.baseDomain ? ` of ${f.dns.baseDomain}` : ""} in the following hours; ` +
      `a single lookup with no repeat and no other suspicious domain from ${hostOf(f)} by ${later(f, 24 * 60)} refutes it.`;
  } else {
    text =
      `${h} looked up ${domain} at ${at(f)} (${rcode}${intelClause(f)}). ` +
      `If ${hostOf(f)} is trying to reach ${domain}, DNS and proxy logs will show repeated lookups or connections from ${hostOf(f)} to ${domain} after ${at(f)}; ` +
      `none between ${at(f)} and ${later(f, 60)} refutes it.`;
  }
  const focus = [
    `Netflow/EDR: connections from ${hostOf(f)} to ${targets} between ${at(f)} and ${later(f, 60)}; measure interval and jitter for beaconing.`,
    `EDR: the process on ${hostOf(f)} that issued the lookup of ${domain}, its parent chain and its signature.`,
    `DNS logs: other hosts resolving ${f.dns?.baseDomain ?? domain} in the last ${windowHours(a)}h.`,
  ];
  if (f.intel.best) focus.push(`Threat intel: pivot on ${f.intel.best.indicator}${malware ? ` and known ${malware} infrastructure` : ""} (related domains and addresses).`);
  return { text, focus };
}

function dnsTunnelling(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  const dns = f.dns;
  const base = dns?.baseDomain ?? f.domain ?? "the parent domain";
  const shape = dns ? `${dns.subdomain.length}-char subdomains (longest label ${dns.longestLabel}, entropy ${dns.entropy} bits/char)` : "unusual subdomains";
  const transport = [dns?.queryType ? `${dns.queryType} queries` : "queries", dns?.encrypted ? `over ${dns.encrypted}` : null, dns?.unusualPort !== null && dns?.unusualPort !== undefined ? `to port ${dns.unusualPort}` : null]
    .filter(Boolean)
    .join(" ");
  const text =
    `${hostWithIp(f)} sent ${transport} for ${shape} of ${base} at ${at(f)} (${dns?.responseCode ?? "response unknown"}${intelClause(f)}). ` +
    `If data is being tunnelled out, DNS logs will show a sustained stream of unique subdomains of ${base} from ${hostOf(f)} well above its baseline query volume; ` +
    `fewer than 50 unique subdomains of ${base} from ${hostOf(f)} between ${at(f)} and ${later(f, 60)}, or a sanctioned security product as the issuing process, refutes it.`;
  return {
    text,
    focus: [
      `DNS logs: count unique subdomains of ${base} and query bytes from ${hostOf(f)} between ${at(f)} and ${later(f, 60)}; compare with its baseline.`,
      `EDR: the process on ${hostOf(f)} issuing the queries to ${base} and how it started.`,
      `DNS logs: any other host querying ${base}.`,
      `Consider blocking ${base} at the resolver if the volume confirms tunnelling.`,
    ],
  };
}

function dnsFastFlux(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  const answers = f.dns?.answers ?? [];
  const domain = f.domain ?? "the domain";
  const text =
    `${domain} resolved for ${hostWithIp(f)} at ${at(f)} to ${answers.length || "several"} address(es)${answers.length ? ` (${listOf(answers, 6)})` : ""}${intelClause(f)}. ` +
    `If ${domain} is fast-flux infrastructure, resolutions over the next 24h will return a rotating set of unrelated addresses across many networks and ${hostOf(f)} will connect to some of them; ` +
    `a stable answer set from a single CDN network, and no connection from ${hostOf(f)} to those addresses by ${later(f, 24 * 60)}, refutes it.`;
  return {
    text,
    focus: [
      `Resolve ${domain} repeatedly (passive DNS): count distinct addresses and networks over 24h.`,
      `Netflow: connections from ${hostOf(f)} to ${answers.length ? listOf(answers) : domain} after ${at(f)}.`,
      `DNS logs: other hosts resolving ${domain} in the last ${windowHours(a)}h.`,
    ],
  };
}

/**
 * The login service an authentication case is about. A C2 lookup that closes a brute-force chain is a DNS
 * alert: its protocol and port are the lookup's, not the guessed service's.
 */
export function loginService(f: AlertFacts): string {
  if (f.dns || /^dns/i.test(f.protocol ?? "")) return f.subtype.includes("ssh") ? "SSH" : "a remote login service";
  return f.protocol?.toUpperCase() ?? (f.port === 22 || f.subtype.includes("ssh") ? "SSH" : "authentication");
}

/**
 * Who acted: the brute-force chain's source, else the alert's remote source (never its own host), else its
 * source host name when that is another machine.
 */
function actorOf(a: CaseAssessment, f: AlertFacts): string | null {
  const srcHost = f.srcHost && f.host && f.srcHost.toLowerCase() === f.host.toLowerCase() ? null : f.srcHost;
  return a.bruteForceChain?.src ?? f.remoteSrcIp ?? srcHost;
}

function authHypothesis(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  const actor = actorOf(a, f);
  const src = actor ?? "an unidentified source";
  const proto = loginService(f);
  const host = hostWithIp(f);
  const user = f.user ? ` as ${f.user}` : "";
  const c2 = f.subtype.includes("c2") && f.domain ? f.domain : null;
  if (a.bruteForceChain) {
    const text =
      `${src.replace(/^./, (c) => c.toUpperCase())} brute-forced ${proto} on ${host} and then logged in successfully${user}${c2 ? `, after which ${hostOf(f)} resolved ${c2} at ${at(f)}` : ` at ${at(f)}`}. ` +
      `If the account is compromised, ${hostOf(f)}'s auth and process logs ${c2 ? "around" : "after"} ${at(f)} will show an interactive session${actor ? ` from ${actor}` : ""} running commands (downloads, new keys or users, persistence)${c2 ? ` and netflow to ${c2}` : ""}; ` +
      `a login traced to the account owner from a known address (VPN, jump host) with no post-login activity by ${later(f, 60)} refutes it.`;
    return {
      text,
      focus: [
        `Auth and process logs on ${hostOf(f)}: the ${actor ? `session from ${actor}` : "successful login and its session"}${user} ${c2 ? "before and after" : "after"} ${at(f)}, commands run, files written.`,
        `Persistence on ${hostOf(f)}: new authorized_keys, users, cron/systemd units, services since ${at(f)}.`,
        ...(c2 ? [`Netflow/DNS: connections from ${hostOf(f)} to ${c2} and its addresses after ${at(f)}.`] : []),
        actor
          ? `Auth logs: other hosts ${actor} authenticated to in the last ${windowHours(a)}h (lateral movement).`
          : `Auth logs: the brute-force source behind the login on ${hostOf(f)}, and other hosts it reached in the last ${windowHours(a)}h.`,
        `Contain if confirmed: reset${f.user ? ` ${f.user}'s` : " the"} credentials and block ${actor ?? "the brute-forcing source"}.`,
      ],
    };
  }
  if (f.subtype.includes("success") || f.subtype.includes("login")) {
    const text =
      `${f.user ?? "An account"} logged in to ${host} over ${proto} from ${src} at ${at(f)}. ` +
      `If this session is unauthorised, ${src} will be new for ${f.user ?? "the account"} (no earlier logins in 30 days) and the session will run commands atypical of the account; ` +
      `a login from ${f.user ?? "the account"}'s usual sources within its normal hours refutes it.`;
    return {
      text,
      focus: [
        `Auth logs: earlier logins of ${f.user ?? "the account"} and from ${src} (last 30 days), failures before ${at(f)}.`,
        `Process logs on ${hostOf(f)}: commands of the session after ${at(f)}.`,
        `Identity: confirm with ${f.user ?? "the account"}'s owner whether the login was theirs.`,
      ],
    };
  }
  const text =
    `${src.replace(/^./, (c) => c.toUpperCase())} made repeated ${proto} authentication failures against ${host}${f.user ? ` for ${f.user}` : ""} around ${at(f)}. ` +
    `If the attack succeeded, auth logs on ${hostOf(f)} will show a successful login from ${src} after ${at(f)}; ` +
    `no successful authentication from ${src} and no new session for the targeted accounts by ${later(f, 24 * 60)} refutes it.`;
  return {
    text,
    focus: [
      `Auth logs on ${hostOf(f)}: any successful login from ${src} after ${at(f)}.`,
      `Auth logs: other hosts targeted by ${src} in the last ${windowHours(a)}h (spray or scan).`,
      `Exposure: is ${proto} on ${hostOf(f)} reachable from the internet, and is password authentication enabled?`,
      `Consider blocking ${src} at the perimeter.`,
    ],
  };
}

function phishing(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  const mail = f.email;
  const recipients = mail?.recipients.length ? listOf(mail.recipients) : f.user ?? `${mail?.recipientCount ?? "the"} recipient(s)`;
  const who = f.user ?? (mail?.recipients[0] ?? "the recipient");
  const links = uniqueCaseless(mail?.links ?? []);
  const linkDomains = uniqueCaseless(links.map(urlHost));
  const auth = mail ? [mail.authResults.spf && `SPF ${mail.authResults.spf}`, mail.authResults.dkim && `DKIM ${mail.authResults.dkim}`, mail.authResults.dmarc && `DMARC ${mail.authResults.dmarc}`].filter(Boolean) : [];
  const gateway = mail?.gatewayVerdict || mail?.gatewayAction ? `gateway ${[mail?.gatewayVerdict, mail?.gatewayAction].filter(Boolean).join("/")}` : null;
  const delivery = [auth.length ? auth.join(", ") : null, gateway].filter(Boolean).join("; ");
  const seen =
    `${recipients} received ${quote(mail?.subject, 80)} from ${mail?.sender ?? "an unknown sender"}${delivery ? ` (${delivery})` : ""} at ${at(f)}` +
    (links.length ? ` linking to ${listOf(links, 2)}` : "") +
    (mail?.attachments.length ? ` with attachment(s) ${listOf(mail.attachments, 3)}` : "");
  if (f.subtype.includes("attachment")) {
    return {
      text:
        `${seen}. If an attachment was opened, EDR on the recipients' hosts will show the mail client or an Office process spawning a child process or writing an executable after ${at(f)}; ` +
        `no such process or file event on any recipient host by ${later(f, 24 * 60)} refutes it.`,
      focus: [
        `EDR on the recipients' hosts: child processes of the mail client / Office and files written after ${at(f)}.`,
        `Detonate or hash-check ${listOf(mail?.attachments ?? [], 3)}; search other mailboxes for the same attachment.`,
        `Mail logs: other messages from ${mail?.sender ?? "the sender"} in the last ${windowHours(a)}h.`,
      ],
    };
  }
  if (f.subtype.includes("credential") || mail?.credentialsSubmitted || mail?.pageLoaded) {
    const outcome = mail?.credentialsSubmitted ? "; credentials were submitted" : mail?.pageLoaded ? "; the page was loaded" : "";
    return {
      text:
        `${seen}${outcome}. If the credentials were harvested, the identity provider will show sign-ins for ${who} from unfamiliar addresses or devices after ${at(f)} (and MFA prompts ${who} did not start); ` +
        `no sign-in for ${who} from outside known locations by ${later(f, 24 * 60)} refutes it.`,
      focus: [
        `Identity provider: sign-ins, MFA prompts and new devices for ${who} after ${at(f)}.`,
        ...(mail?.credentialsSubmitted ? [`Contain now: reset ${who}'s password and revoke sessions and tokens.`] : []),
        `Proxy logs: which recipients reached ${linkDomains.length ? listOf(linkDomains) : "the link"} after ${at(f)}.`,
        `Mail logs: other recipients of ${quote(mail?.subject, 60)} from ${mail?.sender ?? "the sender"}; purge the message.`,
      ],
    };
  }
  return {
    text:
      `${seen}. If a recipient clicked, proxy and DNS logs will show requests to ${linkDomains.length ? listOf(linkDomains) : "the linked site"} from the recipients' hosts after ${at(f)}; ` +
      `no request to it from any recipient host by ${later(f, 24 * 60)} refutes it.`,
    focus: [
      `Proxy/DNS logs: requests to ${linkDomains.length ? listOf(linkDomains) : "the linked site"} from the recipients' hosts after ${at(f)}.`,
      `Mail logs: all recipients of the message from ${mail?.sender ?? "the sender"}; purge it.`,
      `Threat intel: reputation and age of ${linkDomains.length ? listOf(linkDomains) : "the linked domain"}.`,
    ],
  };
}

function processExecution(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  const p = f.process;
  const name = p?.name ?? "A process";
  const signature = p?.signed === true ? `signed by ${p.signer ?? "an unknown signer"}` : p?.signed === false ? "unsigned" : "signature unknown";
  const details = [p?.parent ? `parent ${p.parent}` : null, signature, p?.sha256 ? `sha256 ${p.sha256.slice(0, 16)}…` : null].filter(Boolean).join(", ");
  const techniques = f.alert.attack.techniques.length ? ` (${f.alert.attack.techniques.join(", ")})` : "";
  const text =
    `${name} (${details}) ran on ${hostWithIp(f)}${f.user ? ` as ${f.user}` : ""} at ${at(f)}${techniques}: ${quote(p?.commandLine, 160)}. ` +
    `If this execution is malicious, EDR will show follow-on activity from the same process tree by ${later(f, 60)} — outbound connections, dropped files, persistence (services, scheduled tasks, run keys); ` +
    `a process tree belonging to sanctioned administration or software deployment with no follow-on activity refutes it.`;
  return {
    text,
    focus: [
      `EDR: the process tree of ${name} on ${hostOf(f)} (parents and children) around ${at(f)}.`,
      `EDR/netflow: network connections and files written by the tree between ${at(f)} and ${later(f, 60)}.`,
      `Persistence on ${hostOf(f)}: services, scheduled tasks, run keys created since ${at(f)}.`,
      ...(p?.sha256 ? [`Prevalence of sha256 ${p.sha256} across the fleet and in threat intel.`] : []),
      ...(f.user ? [`Identity: whether ${f.user} normally runs ${name} on ${hostOf(f)}.`] : []),
    ],
  };
}

function generic(a: CaseAssessment, f: AlertFacts): { text: string; focus: string[] } {
  const rule = f.ruleTitle ? quote(f.ruleTitle, 80) : `the ${f.subtype} detection`;
  const dst = f.domain ?? f.dstIp ?? f.dstHost;
  const pivot = dst ?? f.user ?? f.srcIp ?? hostOf(f);
  const telemetry = uniqueCaseless([...f.enrichment.meta.telemetry, ...(f.enrichment.asset?.telemetry ?? [])]);
  const text =
    `${rule} fired for ${hostWithIp(f)}${dst ? ` → ${dst}${f.port !== null ? `:${f.port}` : ""}` : ""}${f.user ? ` (user ${f.user})` : ""} at ${at(f)}${intelClause(f)}. ` +
    `If this reflects hostile activity, ${telemetry.length ? listOf(telemetry) : "the host's telemetry"} will show related events on ${hostOf(f)} involving ${pivot} between ${shortTime(addMinutes(f.time, -60))} and ${later(f, 60)}; ` +
    `no related event in that window refutes it.`;
  return {
    text,
    focus: [
      `Raw events on ${hostOf(f)} between ${shortTime(addMinutes(f.time, -60))} and ${later(f, 60)} involving ${pivot}.`,
      ...(dst ? [`Netflow: other hosts talking to ${dst} in the last ${windowHours(a)}h.`] : []),
      `Related alerts for ${hostOf(f)}${f.user ? ` and ${f.user}` : ""} in the last ${windowHours(a)}h.`,
    ],
  };
}
