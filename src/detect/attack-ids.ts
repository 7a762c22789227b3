/**
 * ATT&CK technique ids across versions. Techniques revoked or renumbered when ATT&CK introduced
 * sub-techniques (v7, 2020) and since: old id → the current id(s) that took its place. Hand-maintained;
 * rules tagged with an old id alert with the current one, and a label written with either id matches.
 */
const RENUMBERED: Record<string, readonly string[]> = {
  T1002: ["T1560"], // Data Compressed
  T1004: ["T1547.004"], // Winlogon Helper DLL
  T1009: ["T1027.001"], // Binary Padding
  T1013: ["T1547.010"], // Port Monitors
  T1015: ["T1546.008"], // Accessibility Features
  T1019: ["T1542.001"], // System Firmware
  T1022: ["T1560"], // Data Encrypted
  T1024: ["T1573"], // Custom Cryptographic Protocol
  T1028: ["T1021.006"], // Windows Remote Management
  T1031: ["T1543.003"], // Modify Existing Service
  T1032: ["T1573"], // Standard Cryptographic Protocol
  T1034: ["T1574.007", "T1574.008"], // Path Interception
  T1035: ["T1569.002"], // Service Execution
  T1038: ["T1574.001"], // DLL Search Order Hijacking
  T1042: ["T1546.001"], // Change Default File Association
  T1044: ["T1574.010"], // File System Permissions Weakness
  T1045: ["T1027.002"], // Software Packing
  T1050: ["T1543.003"], // New Service
  T1054: ["T1562.006"], // Indicator Blocking
  T1058: ["T1574.011"], // Service Registry Permissions Weakness
  T1060: ["T1547.001"], // Registry Run Keys / Startup Folder
  T1063: ["T1518.001"], // Security Software Discovery
  T1064: ["T1059"], // Scripting
  T1066: ["T1027.005"], // Indicator Removal from Tools
  T1067: ["T1542.003"], // Bootkit
  T1073: ["T1574.002"], // DLL Side-Loading
  T1075: ["T1550.002"], // Pass the Hash
  T1076: ["T1021.001"], // Remote Desktop Protocol
  T1077: ["T1021.002"], // Windows Admin Shares
  T1079: ["T1573"], // Multilayer Encryption
  T1081: ["T1552.001"], // Credentials in Files
  T1084: ["T1546.003"], // WMI Event Subscription
  T1085: ["T1218.011"], // Rundll32
  T1086: ["T1059.001"], // PowerShell
  T1088: ["T1548.002"], // Bypass User Account Control
  T1089: ["T1562.001"], // Disabling Security Tools
  T1093: ["T1055.012"], // Process Hollowing
  T1096: ["T1564.004"], // NTFS File Attributes
  T1097: ["T1550.003"], // Pass the Ticket
  T1099: ["T1070.006"], // Timestomp
  T1100: ["T1505.003"], // Web Shell
  T1101: ["T1547.005"], // Security Support Provider
  T1103: ["T1546.010"], // AppInit DLLs
  T1107: ["T1070.004"], // File Deletion
  T1109: ["T1542.002"], // Component Firmware
  T1116: ["T1553.002"], // Code Signing
  T1117: ["T1218.010"], // Regsvr32
  T1118: ["T1218.004"], // InstallUtil
  T1121: ["T1218.009"], // Regsvcs/Regasm
  T1122: ["T1546.015"], // Component Object Model Hijacking
  T1128: ["T1546.007"], // Netsh Helper DLL
  T1130: ["T1553.004"], // Install Root Certificate
  T1131: ["T1547.002"], // Authentication Package
  T1138: ["T1546.011"], // Application Shimming
  T1139: ["T1552.003"], // Bash History
  T1141: ["T1056.002"], // Input Prompt
  T1142: ["T1555.001"], // Keychain
  T1143: ["T1564.003"], // Hidden Window
  T1144: ["T1553.001"], // Gatekeeper Bypass
  T1145: ["T1552.004"], // Private Keys
  T1146: ["T1070.003"], // Clear Command History
  T1147: ["T1564.002"], // Hidden Users
  T1148: ["T1562.003"], // HISTCONTROL
  T1150: ["T1547.011"], // Plist Modification
  T1151: ["T1036.006"], // Space after Filename
  T1152: ["T1569.001"], // Launchctl
  T1154: ["T1546.005"], // Trap
  T1155: ["T1059.002"], // AppleScript
  T1156: ["T1546.004"], // .bash_profile and .bashrc
  T1157: ["T1574.004"], // Dylib Hijacking
  T1158: ["T1564.001"], // Hidden Files and Directories
  T1159: ["T1543.001"], // Launch Agent
  T1160: ["T1543.004"], // Launch Daemon
  T1163: ["T1037.004"], // Rc.common
  T1164: ["T1547.007"], // Re-opened Applications
  T1165: ["T1037.005"], // Startup Items
  T1166: ["T1548.001"], // Setuid and Setgid
  T1167: ["T1555.002"], // Securityd Memory
  T1169: ["T1548.003"], // Sudo
  T1170: ["T1218.005"], // Mshta
  T1171: ["T1557.001"], // LLMNR/NBT-NS Poisoning and Relay
  T1172: ["T1090.004"], // Domain Fronting
  T1173: ["T1559.002"], // Dynamic Data Exchange
  T1174: ["T1556.002"], // Password Filter DLL
  T1175: ["T1021.003", "T1559.001"], // Component Object Model and Distributed COM
  T1177: ["T1547.008"], // LSASS Driver
  T1178: ["T1134.005"], // SID-History Injection
  T1179: ["T1056.004"], // Hooking
  T1180: ["T1546.002"], // Screensaver
  T1181: ["T1055.011"], // Extra Window Memory Injection
  T1182: ["T1546.009"], // AppCert DLLs
  T1183: ["T1546.012"], // Image File Execution Options Injection
  T1186: ["T1055.013"], // Process Doppelgänging
  T1188: ["T1090.003"], // Multi-hop Proxy
  T1191: ["T1218.003"], // CMSTP
  T1192: ["T1566.002"], // Spearphishing Link
  T1193: ["T1566.001"], // Spearphishing Attachment
  T1194: ["T1566.003"], // Spearphishing via Service
  T1196: ["T1218.002"], // Control Panel Items
  T1198: ["T1553.003"], // SIP and Trust Provider Hijacking
  T1206: ["T1548.003"], // Sudo Caching
  T1208: ["T1558.003"], // Kerberoasting
  T1209: ["T1547.003"], // Time Providers
  T1214: ["T1552.002"], // Credentials in Registry
  T1215: ["T1547.006"], // Kernel Modules and Extensions
  T1223: ["T1218.001"], // Compiled HTML File
  T1224: ["T1037.002"], // Logon Script (Mac)
  T1500: ["T1027.004"], // Compile After Delivery
  T1501: ["T1543.002"], // Systemd Service
  T1502: ["T1134.004"], // Parent PID Spoofing
  T1503: ["T1555.003"], // Credentials from Web Browsers
  T1504: ["T1546.013"], // PowerShell Profile
  T1506: ["T1550.004"], // Web Session Cookie
  T1519: ["T1546.014"], // Emond
  T1527: ["T1550.001"], // Application Access Token
};

/** current id → the old ids it replaced. */
const PREVIOUS = new Map<string, string[]>();
for (const [old, current] of Object.entries(RENUMBERED)) {
  for (const id of current) PREVIOUS.set(id, [...(PREVIOUS.get(id) ?? []), old]);
}

const TECHNIQUE = /^T\d{4}(?:\.\d{3})?$/;

/** `t1086` / `T1086 ` → `T1086`; anything that is not a technique id → undefined. */
export function techniqueId(text: string): string | undefined {
  const id = text.trim().toUpperCase();
  return TECHNIQUE.test(id) ? id : undefined;
}

/** The current id(s) of a technique: a revoked or renumbered id gives what replaced it, any other itself. */
export function currentTechniques(id: string): string[] {
  const normal = techniqueId(id) ?? id;
  return [...(RENUMBERED[normal] ?? [normal])];
}

/** Every id that means the same technique: itself, what replaced it, and the old ids it replaced. */
export function techniqueAliases(id: string): string[] {
  const normal = techniqueId(id) ?? id;
  const aliases = new Set<string>([normal]);
  for (const current of currentTechniques(normal)) {
    aliases.add(current);
    for (const old of PREVIOUS.get(current) ?? []) aliases.add(old);
  }
  return [...aliases];
}

const parentOf = (id: string): string | undefined => (id.includes(".") ? id.slice(0, id.indexOf(".")) : undefined);

/**
 * Whether an alert's techniques name a labelled technique: the same technique (under any of its ids, old
 * or current), its parent, or one of its sub-techniques when the label is a parent. Siblings do not match.
 */
export function namesTechnique(label: string, techniques: readonly string[]): boolean {
  const labelIds = new Set(techniqueAliases(label));
  const labelParents = new Set<string>();
  for (const id of labelIds) {
    const parent = parentOf(id);
    if (parent !== undefined) for (const alias of techniqueAliases(parent)) labelParents.add(alias);
  }
  return techniques.some((technique) =>
    techniqueAliases(technique).some((id) => {
      if (labelIds.has(id) || labelParents.has(id)) return true;
      const parent = parentOf(id);
      return parent !== undefined && techniqueAliases(parent).some((alias) => labelIds.has(alias) && !alias.includes("."));
    }),
  );
}
