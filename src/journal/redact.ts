/**
 * Redaction before publishing. Alerts carry whatever the attacker or the admin typed, and command lines
 * or HTTP headers routinely hold live secrets; the journal is read far more widely than the case, so
 * secrets are masked in every post. Indicators (IPs, domains, hashes, usernames) are kept on purpose:
 * analysts need them to pivot.
 */
export interface RedactionRule {
  id: string;
  description: string;
  /** Only the named group `secret` is masked (the whole match when the group is absent). */
  pattern: RegExp;
}

export interface RedactionPolicy {
  name: string;
  mask: string;
  rules: RedactionRule[];
}

/** Key names whose value is a secret wherever it appears (`key=value`, `key: value`, `"key": "value"`). */
const SECRET_KEYS = [
  "password",
  "passwd",
  "passphrase",
  "pwd",
  "client[_-]?secret",
  "secret[_-]?key",
  "secret[_-]?access[_-]?key",
  "aws[_-]?secret[_-]?access[_-]?key",
  "api[_-]?key",
  "x-api-key",
  "api[_-]?token",
  "access[_-]?token",
  "auth[_-]?token",
  "refresh[_-]?token",
  "session[_-]?token",
  "private[_-]?key",
].join("|");
/** Shorter names that are too common in prose to trust after a colon: only `name=value` counts. */
const ASSIGNED_ONLY_KEYS = ["pass", "pw", "token", "secret", "key", "sig", "signature"].join("|");

/** Tools whose password flag is glued to its value (`mysql -uroot -pS3cret`); elsewhere `-p` means too many things. */
const GLUED_PASSWORD_TOOLS = ["mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlsh", "mariadb", "mariadb-dump", "7z", "7za", "7zr", "rar", "unrar"]
  .map((tool) => tool.replace(/[-.]/g, "\\$&"))
  .join("|");

export const DEFAULT_REDACTION_POLICY: RedactionPolicy = {
  name: "default",
  mask: "[REDACTED]",
  rules: [
    {
      id: "private_key_block",
      description: "PEM private key bodies",
      pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?<secret>[\s\S]*?)-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/,
    },
    {
      id: "url_credentials",
      description: "the password in scheme://user:password@host (user and host are kept)",
      pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:(?<secret>[^\s@/]+)@/i,
    },
    {
      id: "authorization_header",
      description: "Authorization / Proxy-Authorization header values",
      pattern: /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:Bearer|Basic|Digest|Token|Negotiate|NTLM)\s+)?(?<secret>[^\s"',;]+)/i,
    },
    {
      id: "bearer_token",
      description: "Bearer tokens outside a header",
      pattern: /\bBearer\s+(?<secret>[A-Za-z0-9\-._~+/]{16,}=*)/,
    },
    {
      id: "jwt",
      description: "JSON Web Tokens",
      pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/,
    },
    {
      id: "aws_access_key_id",
      description: "AWS access key ids",
      pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}\b/,
    },
    {
      id: "vendor_token",
      description: "API tokens with a recognisable vendor prefix (GitHub, Slack, Stripe, Google, OpenAI/Anthropic style)",
      pattern:
        /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|[rs]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|sk-[A-Za-z0-9_-]{20,})/,
    },
    {
      id: "quoted_secret_assignment",
      description: "a quoted value after a secret key: password=\"…\", \"api_key\": \"…\"",
      pattern: new RegExp(
        `(?<![A-Za-z0-9])["']?(?:${SECRET_KEYS})["']?\\s*[:=]\\s*(?<quote>["'])(?<secret>[^"'\\r\\n]*)\\k<quote>`,
        "i",
      ),
    },
    {
      id: "secret_assignment",
      description: "an unquoted value after a secret key: password=…, api_key: …",
      pattern: new RegExp(`(?<![A-Za-z0-9])(?:${SECRET_KEYS})["']?\\s*[:=]\\s*(?<secret>[^\\s"'&;,)}\\]]+)`, "i"),
    },
    {
      id: "short_key_assignment",
      description: "pass=…, token=…, key=… (assignments only)",
      pattern: new RegExp(`(?<![A-Za-z0-9])(?:${ASSIGNED_ONLY_KEYS})=(?<secret>[^\\s"'&;,)}\\]]+)`, "i"),
    },
    {
      id: "password_option",
      description: "--password value, -Password value, /password:value on command lines",
      pattern: /(?:^|\s)(?:--?pass(?:word|wd)?|-Password|\/p(?:ass(?:word)?)?:)(?:\s+|(?<=:))(?<secret>[^\s-][^\s]*)/i,
    },
    {
      id: "sshpass",
      description: "sshpass -p value",
      pattern: /\bsshpass\s+-p\s*(?<secret>\S+)/,
    },
    {
      id: "attached_password_flag",
      description: "-p<password> glued to the flag of tools that take it that way (mysql, mariadb, 7z, rar); port lists like -p80,443 are kept",
      pattern: new RegExp(
        `(?<=\\b(?:${GLUED_PASSWORD_TOOLS})(?:\\.exe)?\\b[^\\r\\n]*\\s)-p(?![\\d,:-]+(?=\\s|$))(?<secret>[^\\s-]\\S*)`,
      ),
    },
    {
      id: "separate_password_flag",
      description: "the password after -P (zip, unzip, sqlcmd, bcp)",
      pattern: /(?<=\b(?:zip|unzip|sqlcmd|bcp)(?:\.exe)?\b[^\r\n]*\s)-P\s+(?<secret>\S+)/,
    },
    {
      id: "redis_cli_password",
      description: "the password after redis-cli -a",
      pattern: /(?<=\bredis-cli\b[^\r\n]*\s)-a\s+(?<secret>\S+)/,
    },
    {
      id: "securestring_literal",
      description: "the plain text given to ConvertTo-SecureString",
      pattern: /ConvertTo-SecureString\s+(?:-String\s+)?(?<quote>["'])(?<secret>[^"'\r\n]+)\k<quote>/i,
    },
  ],
};

/** Masks every secret the policy recognises. Applying it twice changes nothing more. */
export function redact(text: string, policy: RedactionPolicy = DEFAULT_REDACTION_POLICY): string {
  let out = text;
  for (const rule of policy.rules) out = applyRule(out, rule, policy.mask);
  return out;
}

/** Redacts every string inside a JSON-like value, keys included. */
export function redactValue<T>(value: T, policy: RedactionPolicy = DEFAULT_REDACTION_POLICY): T {
  if (typeof value === "string") return redact(value, policy) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, policy)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, policy);
    return out as T;
  }
  return value;
}

function applyRule(text: string, rule: RedactionRule, mask: string): string {
  const flags = new Set([...rule.pattern.flags, "g", "d"]);
  const pattern = new RegExp(rule.pattern.source, [...flags].join(""));
  let out = "";
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const span = match.indices?.groups?.secret ?? match.indices?.[0];
    if (!span) continue;
    const [start, end] = span;
    if (end <= start || text.startsWith(mask, start)) continue;
    out += text.slice(last, start) + mask;
    last = end;
  }
  return out + text.slice(last);
}
