/**
 * Cowrie JSON events for tests, after docs.cowrie.org "Output Event Code Reference" (shared attributes
 * eventid, message, sensor, timestamp, src_ip, session; per-event username/password, input, url,
 * outfile, shasum, filename, dst_ip/dst_port) and published cowrie.json samples (e.g. the events quoted
 * in wazuh/wazuh-ruleset#601: `{"eventid": "cowrie.login.success", "username": "root", "timestamp":
 * "2018-09-05T14:24:20.903909Z", "message": "login attempt [root/] succeeded", "src_ip": …, "session":
 * "d051258efd62", "password": "", "sensor": "honeypot-ssh"}`). Values are invented.
 */
export type CowrieEvent = Record<string, unknown>;

const base = (eventid: string, timestamp: string, over: CowrieEvent): CowrieEvent => ({
  eventid,
  timestamp,
  src_ip: "45.148.10.92",
  session: "a3f1c2d4e5b6",
  sensor: "hp-ssh-01",
  ...over,
});

export const connect = (over: CowrieEvent = {}) =>
  base("cowrie.session.connect", "2026-11-24T10:00:00.100000Z", { src_port: 40122, dst_ip: "10.99.0.5", dst_port: 2222, protocol: "ssh", message: "New connection: 45.148.10.92:40122 (10.99.0.5:2222) [session: a3f1c2d4e5b6]", ...over });
export const loginFailed = (password: string, over: CowrieEvent = {}) =>
  base("cowrie.login.failed", "2026-11-24T10:00:01.200000Z", { username: "root", password, message: `login attempt [root/${password}] failed`, ...over });
export const loginSuccess = (password: string, over: CowrieEvent = {}) =>
  base("cowrie.login.success", "2026-11-24T10:00:02.300000Z", { username: "root", password, message: `login attempt [root/${password}] succeeded`, ...over });
export const command = (input: string, over: CowrieEvent = {}) => base("cowrie.command.input", "2026-11-24T10:00:03.400000Z", { input, message: `CMD: ${input}`, ...over });
export const download = (over: CowrieEvent = {}) =>
  base("cowrie.session.file_download", "2026-11-24T10:00:04.500000Z", {
    url: "http://198.51.100.77/bins/x86.sh",
    outfile: "var/lib/cowrie/downloads/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    shasum: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    destfile: "x86.sh",
    message: "Downloaded URL (http://198.51.100.77/bins/x86.sh) with SHA-256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 to var/lib/cowrie/downloads/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ...over,
  });
export const upload = (over: CowrieEvent = {}) =>
  base("cowrie.session.file_upload", "2026-11-24T10:00:05.600000Z", { filename: "kinsing", outfile: "var/lib/cowrie/downloads/2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", shasum: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", ...over });
export const tunnel = (over: CowrieEvent = {}) =>
  base("cowrie.direct-tcpip.request", "2026-11-24T10:00:06.700000Z", { dst_ip: "smtp.example.net", dst_port: 25, src_ip: "127.0.0.1", src_port: 0, message: "direct-tcp connection request to smtp.example.net:25 from 127.0.0.1:0", ...over });
export const closed = (over: CowrieEvent = {}) => base("cowrie.session.closed", "2026-11-24T10:00:07.800000Z", { duration: 7.7, message: "Connection lost after 7 seconds", ...over });

export const line = (event: CowrieEvent) => `${JSON.stringify(event)}\n`;
