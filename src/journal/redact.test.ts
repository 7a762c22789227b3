import { describe, expect, it } from "vitest";
import { DEFAULT_REDACTION_POLICY, redact, redactValue, type RedactionPolicy } from "./redact.js";

const MASK = DEFAULT_REDACTION_POLICY.mask;

describe("redact (default policy)", () => {
  it.each([
    ["mysql glued -p", "mysql -u root -pS3cr3t! -h 10.20.30.40 payroll", "mysql -u root -p[REDACTED] -h 10.20.30.40 payroll"],
    ["mysqldump.exe glued -p", "C:\\tools\\mysqldump.exe -uadmin -phunter2 --all-databases", "C:\\tools\\mysqldump.exe -uadmin -p[REDACTED] --all-databases"],
    ["7z archive password", "7z a -pInfected123 loot.7z C:\\Users\\j.doe\\Documents", "7z a -p[REDACTED] loot.7z C:\\Users\\j.doe\\Documents"],
    ["password= assignment", "net use \\\\fs01\\share /user:corp\\svc password=Winter2026 /persistent:no", "net use \\\\fs01\\share /user:corp\\svc password=[REDACTED] /persistent:no"],
    ["--password value", "psql --host db.internal.example --password Tr0ub4dor", "psql --host db.internal.example --password [REDACTED]"],
    ["-Password (PowerShell)", "New-LocalUser -Name backdoor -Password Spring2026!", "New-LocalUser -Name backdoor -Password [REDACTED]"],
    ["quoted JSON secret", '{"user":"svc-backup","password":"p@ss w0rd","host":"10.0.0.5"}', '{"user":"svc-backup","password":"[REDACTED]","host":"10.0.0.5"}'],
    ["api key in a query", "GET https://api.example.com/v1/data?api_key=abcd1234efgh5678&page=2", "GET https://api.example.com/v1/data?api_key=[REDACTED]&page=2"],
    ["X-Api-Key header", "X-Api-Key: 9f8e7d6c5b4a", "X-Api-Key: [REDACTED]"],
    ["authorization header", "Authorization: Bearer abc.def-ghi_jkl/mno+pqr=", "Authorization: Bearer [REDACTED]"],
    ["basic auth header", "authorization: Basic dXNlcjpwYXNz", "authorization: Basic [REDACTED]"],
    ["bearer token in prose", "curl sent Bearer 0123456789abcdefABCDEF to 198.51.100.7", `curl sent Bearer ${MASK} to 198.51.100.7`],
    ["URL credentials", "wget ftp://admin:letmein@203.0.113.9/payload.bin", "wget ftp://admin:[REDACTED]@203.0.113.9/payload.bin"],
    ["AWS access key id", "aws_access_key_id AKIAIOSFODNN7EXAMPLE used from 192.0.2.44", `aws_access_key_id ${MASK} used from 192.0.2.44`],
    ["AWS secret key", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=[REDACTED]"],
    ["GitHub token", "git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/x", `git clone https://${MASK}@github.com/acme/x`],
    ["JWT", "cookie session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", `cookie session=${MASK}`],
    ["sshpass", "sshpass -p 'Secr3t' ssh root@10.1.1.1", `sshpass -p ${MASK} ssh root@10.1.1.1`],
    ["redis-cli -a", "redis-cli -h 10.9.9.9 -a s3cret ping", `redis-cli -h 10.9.9.9 -a ${MASK} ping`],
    ["SecureString literal", "ConvertTo-SecureString 'Pa55word!' -AsPlainText -Force", `ConvertTo-SecureString '${MASK}' -AsPlainText -Force`],
    ["private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", `-----BEGIN RSA PRIVATE KEY-----${MASK}-----END RSA PRIVATE KEY-----`],
  ])("masks %s", (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ["IPs and domains", "ws-fin-042 (10.20.30.40) resolved cdn-update.badcdn.example to 203.0.113.77 via 8.8.8.8"],
    ["ssh with a port", "ssh -p 2222 deploy@bastion.corp.example"],
    ["nmap port list", "nmap -p80,443,8080 -sV 10.0.0.0/24"],
    ["-p flags of other tools", "find /tmp -perm 4000 -print; tar -pxf backup.tar; python -m http.server"],
    ["hashes and urls", "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 from http://evil.example/a.exe"],
    ["usernames", "user j.doe@corp.example logged in from 198.51.100.23"],
    ["prose about passwords", "the password policy requires MFA; no token was observed"],
  ])("keeps %s", (_name, input) => {
    expect(redact(input)).toBe(input);
  });

  it("is idempotent", () => {
    const text = "mysql -uroot -pS3cret password=x api_key: abc Authorization: Bearer tok_0123456789abcdef https://u:p@h.example";
    const once = redact(text);
    expect(once).not.toContain("S3cret");
    expect(redact(once)).toBe(once);
  });

  it("redacts every string in a structure", () => {
    const value = { cmd: "mysql -uroot -pS3cret", nested: [{ header: "Authorization: Bearer 0123456789abcdefXYZ" }], n: 3 };
    expect(redactValue(value)).toEqual({ cmd: "mysql -uroot -p[REDACTED]", nested: [{ header: "Authorization: Bearer [REDACTED]" }], n: 3 });
  });

  it("follows a custom policy", () => {
    const policy: RedactionPolicy = {
      name: "employee-ids",
      mask: "***",
      rules: [{ id: "employee_id", description: "internal employee ids", pattern: /\bEMP-(?<secret>\d{6})\b/ }],
    };
    expect(redact("badge EMP-123456 at door 4, password=kept", policy)).toBe("badge EMP-*** at door 4, password=kept");
  });
});
