/**
 * Redaction before publishing. Alerts carry whatever the attacker or the admin typed, and command lines
 * or HTTP headers routinely hold live secrets; the journal is read far more widely than the case, so
 * secrets are masked in every post. Indicators (IPs, domains, hashes, usernames) are kept on purpose:
 * analysts need them to pivot. File hashes are evidence, not secrets: a run of hex digits (MD5, SHA-1 —
 * the length of an AWS secret key —, SHA-256, SHA-512), a GUID or an encoded command longer than a key is
 * never taken for a bare key.
 */
export interface RedactionRule {
  id: string;
  description: string;
  /**
   * Only the named group `secret` is masked (the whole match when the group is absent). A context that may
   * lie anywhere earlier on the line is a lookbehind placed after the literal it precedes (`-a(?<=…\s-a)`),
   * never first: a leading lookbehind is tried at every position and scans back to the line start each
   * time, quadratic in the line's length (an attacker's long line held a journal post for minutes).
   */
  pattern: RegExp;
  /** A further test of the candidate secret (the group, else the match): false keeps it. */
  accept?: (secret: string) => boolean;
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

/** Options that name the account on a command line; a `-p` value beside one is its password. */
const LOGIN_FLAG = String.raw`(?:-u|-U|-l|--user(?:name)?|--login)`;
/**
 * What may separate a password flag from the tool or login flag that makes it one: the rest of the same line,
 * up to 500 characters (a bound, so that a crafted line of many flags costs linear time, not quadratic).
 */
const SAME_LINE = String.raw`[^\r\n]{0,500}`;
/** A `-p` value that is a port or a port list (ssh -p 2222, nmap -p80,443) is not a password. */
const NOT_A_PORT = String.raw`(?![\d,:-]+(?:\s|$))`;

function shannonBits(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/**
 * A bare key: upper and lower case letters and digits mixed at random (≥ 4 bits of entropy per character).
 * Hex runs (file hashes), GUIDs, SIDs, words and identifiers fail one of these tests and are kept.
 */
export function looksLikeKey(value: string, minDigits = 2): boolean {
  const compact = value.replace(/[-_]/g, "");
  if (/^[0-9a-f]+$/i.test(compact)) return false;
  if (!/[a-z]/.test(value) || !/[A-Z]/.test(value)) return false;
  const digits = value.replace(/\D/g, "").length;
  return digits >= minDigits && shannonBits(value) >= 4;
}

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
      id: "private_key_unterminated",
      description: "a PEM private key cut short before its END line (a truncated field): masked to the next dashes or quote",
      pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?<secret>(?:(?!-----)[^"'`<>])+)/,
    },
    {
      id: "putty_private_key",
      description: "the private lines of a PuTTY .ppk key",
      pattern: /\bPrivate-Lines:\s*\d+\s+(?<secret>[A-Za-z0-9+/=]+(?:\s+[A-Za-z0-9+/=]{4,}(?=\s|$))*)/,
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
      id: "connection_string_password",
      description: "Password=/Pwd= in a ;-separated connection string, spaces included",
      pattern: /(?<=(?:^|[;"'\s])(?:password|pwd)\s*=\s*)(?<secret>[^;"'\r\n]*[^;"'\r\n\s])(?=\s*;)/i,
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
      id: "password_option_short",
      description: "plink -pw value, -pass value",
      pattern: /(?:^|\s)-(?:pw|pass)\s+(?<secret>[^\s-]\S*)/,
    },
    {
      id: "net_user_password",
      description: "the positional password of net user NAME PASSWORD (a * prompt and /options are kept)",
      pattern: /\bnet1?(?:\.exe)?\s+user\s+(?:\/\S+\s+)*(?:"[^"]+"|[^\s/"]\S*)\s+(?<secret>"[^"]*"|[^\s/*"]\S*)/i,
    },
    {
      id: "net_use_password",
      description: "the positional password of net use [X:] \\\\server\\share PASSWORD",
      pattern: /\bnet1?(?:\.exe)?\s+use\s+(?:(?:[A-Z]:|\*)\s+)?\\\\\S+\s+(?<secret>"[^"]*"|[^\s/*"]\S*)/i,
    },
    {
      id: "user_colon_password_option",
      description: "curl -u / --user / --proxy-user user:password, wget --user user:password (the user is kept)",
      pattern: /(?:^|\s)(?:-u|-U|--user|--proxy-user)\s*["']?[^\s:"']+:(?<secret>[^\s"']+)/,
    },
    {
      id: "smbclient_user_percent",
      description: "smbclient -U user%password",
      pattern: /(?:^|\s)(?:-U|--user(?:=|\s+))\s*[^\s%]+%(?<secret>\S+)/,
    },
    {
      id: "impacket_target",
      description: "domain/user:password@host (Impacket and friends)",
      pattern: /(?<![\w:/.-])[\w.-]+\/[\w.$-]+:(?<secret>[^\s@/:]+)@[\w.-]+/,
    },
    {
      id: "password_flag_beside_login",
      description: "-p value on a command line that also names the account (-u/-U/-l/--user): psexec, crackmapexec, hydra… (port values kept)",
      pattern: new RegExp(
        String.raw`\s-p\s+(?<=\s${LOGIN_FLAG}\s+\S+${SAME_LINE}?\s-p\s+)${NOT_A_PORT}(?<secret>[^\s-]\S*)|(?:^|\s)-p\s+${NOT_A_PORT}(?<secret2>[^\s-]\S*)(?=${SAME_LINE}\s${LOGIN_FLAG}\s)`,
      ),
    },
    {
      id: "attached_password_flag",
      description: "-p<password> glued to the flag of tools that take it that way (mysql, mariadb, 7z, rar); port lists like -p80,443 are kept",
      pattern: new RegExp(
        `-p(?<=\\b(?:${GLUED_PASSWORD_TOOLS})(?:\\.exe)?\\b${SAME_LINE}\\s-p)(?![\\d,:-]+(?=\\s|$))(?<secret>[^\\s-]\\S*)`,
      ),
    },
    {
      id: "separate_password_flag",
      description: "the password after -P (zip, unzip, sqlcmd, bcp)",
      pattern: new RegExp(String.raw`-P(?<=\b(?:zip|unzip|sqlcmd|bcp)(?:\.exe)?\b${SAME_LINE}\s-P)\s+(?<secret>\S+)`),
    },
    {
      id: "redis_cli_password",
      description: "the password after redis-cli -a",
      pattern: new RegExp(String.raw`-a(?<=\bredis-cli\b${SAME_LINE}\s-a)\s+(?<secret>\S+)`),
    },
    {
      id: "securestring_literal",
      description: "the plain text given to ConvertTo-SecureString",
      pattern: /ConvertTo-SecureString\s+(?:-String\s+)?(?<quote>["'])(?<secret>[^"'\r\n]+)\k<quote>/i,
    },
    {
      id: "aws_secret_access_key",
      description: "a bare 40-character AWS secret access key (mixed case and digits; 40 hex digits are a SHA-1 and kept)",
      pattern: /(?<![A-Za-z0-9/+=])(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/,
      // Base64 of 30 random bytes: a digit, "/" or "+" somewhere (a 40-letter word has none).
      accept: (value) => /[\d/+]/.test(value) && looksLikeKey(value, 0),
    },
    {
      id: "high_entropy_key",
      description: "a bare 32–64 character random token of mixed case and digits (API keys, client secrets); hashes, GUIDs, words and longer encoded blobs are kept",
      pattern: /(?<![A-Za-z0-9_\-/+=.])(?<secret>[A-Za-z0-9_-]{32,64})(?![A-Za-z0-9_\-/+=.])/,
      accept: looksLikeKey,
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
    const groups = match.indices?.groups;
    // `secret2` names the secret in a rule's second alternative (a group name may appear once per pattern).
    const span = groups && ("secret" in groups || "secret2" in groups) ? (groups.secret ?? groups.secret2) : match.indices?.[0];
    if (!span) continue;
    const [start, end] = span;
    if (end <= start || text.startsWith(mask, start)) continue;
    if (rule.accept && !rule.accept(text.slice(start, end))) continue;
    out += text.slice(last, start) + mask;
    last = end;
  }
  return out + text.slice(last);
}
