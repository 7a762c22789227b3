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
    // Positional and option-borne credentials on command lines (issue 13, item 16).
    ["net user positional password", "net user backdoor Sup3rS3cretPassw0rd! /add", `net user backdoor ${MASK} /add`],
    ["net1 user /domain", "net1.exe user /domain svc-x \"Winter 2026!\" /add", `net1.exe user /domain svc-x ${MASK} /add`],
    ["net use positional password", "net use Z: \\\\fs01\\share Passw0rd1 /user:corp\\svc", `net use Z: \\\\fs01\\share ${MASK} /user:corp\\svc`],
    ["psexec -u -p", "PsExec64.exe \\\\nwl-dc01 -u NWL\\adm -p Adm1nPass! cmd.exe", `PsExec64.exe \\\\nwl-dc01 -u NWL\\adm -p ${MASK} cmd.exe`],
    ["-p before -u", "crackmapexec smb 10.0.0.0/24 -p Summer2026 -u users.txt", `crackmapexec smb 10.0.0.0/24 -p ${MASK} -u users.txt`],
    ["hydra -l -p", "hydra -l root -p toor ssh://10.1.1.1", `hydra -l root -p ${MASK} ssh://10.1.1.1`],
    ["--password=value", "mysql --user=app --password=Gr4pe!vine db", `mysql --user=app --password=${MASK} db`],
    ["xfreerdp /p:", "xfreerdp /u:administrator /p:Rdp-Secret9 /v:10.20.0.10", `xfreerdp /u:administrator /p:${MASK} /v:10.20.0.10`],
    ["-Password (PowerShell) again", "Set-ADAccountPassword -Identity jdoe -Password P@ssword123", `Set-ADAccountPassword -Identity jdoe -Password ${MASK}`],
    ["plink -pw", "plink.exe -ssh -pw Hunter22 root@10.1.1.1", `plink.exe -ssh -pw ${MASK} root@10.1.1.1`],
    ["sshpass unquoted", "sshpass -p Sup3r ssh root@10.1.1.1", `sshpass -p ${MASK} ssh root@10.1.1.1`],
    ["curl -u user:password", "curl -u admin:Adm1n!pw https://10.0.0.1/api", `curl -u admin:${MASK} https://10.0.0.1/api`],
    ["curl --user", "curl --user 'svc:P4ss word' -X POST https://x.example", `curl --user 'svc:${MASK} word' -X POST https://x.example`],
    ["smbclient -U user%pass", "smbclient //10.0.0.5/c$ -U admin%Secr3t!", `smbclient //10.0.0.5/c$ -U admin%${MASK}`],
    ["impacket target", "wmiexec.py corp/administrator:Sp1derman@10.20.0.10", `wmiexec.py corp/administrator:${MASK}@10.20.0.10`],
    ["SQL Server connection string", "Server=db01;Database=pay;User Id=sa;Password=My Pass 1;Encrypt=true", `Server=db01;Database=pay;User Id=sa;Password=${MASK};Encrypt=true`],
    ["ODBC Pwd", "Driver={ODBC};Server=db01;Uid=sa;Pwd=abc123;", `Driver={ODBC};Server=db01;Uid=sa;Pwd=${MASK};`],
    ["mongodb URI", "mongodb://app:m0ng0Pw@10.0.0.9:27017/admin", `mongodb://app:${MASK}@10.0.0.9:27017/admin`],
    // Bare keys and private keys.
    ["bare AWS secret access key", "export AWS creds: AKIA-less key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in .bash_history", `export AWS creds: AKIA-less key ${MASK} in .bash_history`],
    ["bare high-entropy API key", "token found: 4fTq9Zk2LmX8vB7nR3pW6yH1cJ5dG0sA in config", `token found: ${MASK} in config`],
    ["OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", `-----BEGIN OPENSSH PRIVATE KEY-----${MASK}-----END OPENSSH PRIVATE KEY-----`],
    ["truncated private key", 'key="-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"', `key="-----BEGIN PRIVATE KEY-----${MASK}"`],
    ["PuTTY key", "Private-Lines: 2\nAAAAgQCx1Yz9q2\nAAAAQQDm3z8w\nPrivate-MAC: 1a2b", `Private-Lines: 2\n${MASK}\nPrivate-MAC: 1a2b`],
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
    // File hashes are evidence (IOCs): never taken for a bare key, whatever their length.
    ["MD5", "md5 44d88612fea8a8f36de82e1278abb02f"],
    ["SHA-1 (40 hex, the length of an AWS secret key)", "sha1 3395856ce81f2b7382dee72602f798b642f14140 dropped"],
    ["SHA-512", "sha512 cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"],
    ["uppercase SHA-256", "SHA256=9F2C4E81B7A03D56E1F8A92C4B7D0E35A6C1F9B28E4D7A03C5B6E9F1A2D48C07"],
    ["GUIDs and SIDs", "rule 0e7163d4-9333-4b00-8a42-79ecd0c9a1d5 for S-1-5-21-3623811015-3361044348-30300820-1013"],
    ["an encoded command (evidence, longer than a key)", "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"],
    ["identifiers and event ids", "zeek uid CzrDirZHICdCqwqxS, flow 1931007442118230, rule nwl-dns-ti-match-001, T1059.001"],
    ["net user without a password", "net user backdoor /add; net user jdoe * /domain; net user"],
    ["net use without a password", "net use Z: \\\\fs01\\share /user:corp\\svc /persistent:no"],
    ["-p port beside a login", "ssh -l deploy -p 2222 bastion.corp.example"],
    ["curl -u without a password", "curl -u admin https://10.0.0.1/api"],
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
