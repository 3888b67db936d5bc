package demo

import "github.com/watchfloor/watchfloor/internal/model"

// entityKind says which entities a rule's alerts carry.
type entityKind uint8

const (
	kindEndpoint entityKind = iota // host, user (and a file hash for file rules)
	kindNetwork                    // source IP, destination IP, host
	kindDomain                     // host, destination domain
	kindIdentity                   // user, source IP
	kindCloud                      // user, cloud resource, source IP
	kindEmail                      // recipient, sender
)

// ruleSpec is a detection in the built-in content pack.
type ruleSpec struct {
	name       string
	techniques []string
	tactic     string
	severity   model.Severity
	kind       entityKind
	noisy      bool // one of the few rules that carry most of the volume
	file       bool // alerts name a file hash
}

const (
	sevInfo = model.SeverityInformational
	sevLow  = model.SeverityLow
	sevMed  = model.SeverityMedium
	sevHigh = model.SeverityHigh
	sevCrit = model.SeverityCritical
)

// ruleSpecs is the content pack: real ATT&CK Enterprise technique ids
// (v18), named the way SIEM and EDR content usually names them.
var ruleSpecs = []ruleSpec{
	// The noisy few.
	{name: "Multiple Failed Logons for One Account", techniques: []string{"T1110.001"}, tactic: "credential-access", severity: sevLow, kind: kindIdentity, noisy: true},
	{name: "Internal Port Scan Detected", techniques: []string{"T1046"}, tactic: "discovery", severity: sevLow, kind: kindNetwork, noisy: true},
	{name: "Connection to Newly Registered Domain", techniques: []string{"T1071.001"}, tactic: "command-and-control", severity: sevLow, kind: kindDomain, noisy: true},
	{name: "Suspicious PowerShell Command Line", techniques: []string{"T1059.001"}, tactic: "execution", severity: sevMed, kind: kindEndpoint, noisy: true},
	{name: "Admin Share Access from Workstation", techniques: []string{"T1021.002"}, tactic: "lateral-movement", severity: sevLow, kind: kindEndpoint, noisy: true},
	{name: "Suspicious Attachment Delivered", techniques: []string{"T1566.001"}, tactic: "initial-access", severity: sevLow, kind: kindEmail, noisy: true},

	// Initial access.
	{name: "Phishing Link Clicked", techniques: []string{"T1566.002", "T1204.001"}, tactic: "initial-access", severity: sevMed, kind: kindEmail},
	{name: "Exploit Attempt Against Public-Facing Application", techniques: []string{"T1190"}, tactic: "initial-access", severity: sevHigh, kind: kindNetwork},
	{name: "Sign-in Through Anonymizing Proxy", techniques: []string{"T1078", "T1090.003"}, tactic: "initial-access", severity: sevMed, kind: kindIdentity},
	{name: "VPN Logon from Unusual Country", techniques: []string{"T1133"}, tactic: "initial-access", severity: sevMed, kind: kindIdentity},
	{name: "Drive-by Download Blocked", techniques: []string{"T1189"}, tactic: "initial-access", severity: sevLow, kind: kindDomain},
	{name: "Execution from Removable Media", techniques: []string{"T1091"}, tactic: "initial-access", severity: sevLow, kind: kindEndpoint, file: true},
	{name: "Impossible Travel Sign-in", techniques: []string{"T1078.004"}, tactic: "initial-access", severity: sevMed, kind: kindIdentity},

	// Execution.
	{name: "Encoded PowerShell Command", techniques: []string{"T1059.001", "T1027"}, tactic: "execution", severity: sevHigh, kind: kindEndpoint},
	{name: "Office Application Spawned Command Shell", techniques: []string{"T1204.002", "T1059.003"}, tactic: "execution", severity: sevHigh, kind: kindEndpoint, file: true},
	{name: "Suspicious WMI Process Creation", techniques: []string{"T1047"}, tactic: "execution", severity: sevMed, kind: kindEndpoint},
	{name: "Script Interpreter Launched from Temp Directory", techniques: []string{"T1059.005"}, tactic: "execution", severity: sevMed, kind: kindEndpoint, file: true},
	{name: "Linux Reverse Shell Pattern", techniques: []string{"T1059.004"}, tactic: "execution", severity: sevHigh, kind: kindEndpoint},
	{name: "Mshta Executing Remote Script", techniques: []string{"T1218.005"}, tactic: "defense-evasion", severity: sevHigh, kind: kindEndpoint},
	{name: "Rundll32 Without Command-Line Arguments", techniques: []string{"T1218.011"}, tactic: "defense-evasion", severity: sevMed, kind: kindEndpoint},
	{name: "Service Execution via PsExec", techniques: []string{"T1569.002", "T1021.002"}, tactic: "execution", severity: sevHigh, kind: kindEndpoint},

	// Persistence.
	{name: "Registry Run Key Modified", techniques: []string{"T1547.001"}, tactic: "persistence", severity: sevLow, kind: kindEndpoint, file: true},
	{name: "New Service Installed", techniques: []string{"T1543.003"}, tactic: "persistence", severity: sevMed, kind: kindEndpoint, file: true},
	{name: "Local Administrator Account Created", techniques: []string{"T1136.001"}, tactic: "persistence", severity: sevHigh, kind: kindEndpoint},
	{name: "WMI Event Subscription Persistence", techniques: []string{"T1546.003"}, tactic: "persistence", severity: sevHigh, kind: kindEndpoint},
	{name: "Scheduled Task Created by Script Host", techniques: []string{"T1053.005"}, tactic: "persistence", severity: sevMed, kind: kindEndpoint},
	{name: "Cron Job Modified", techniques: []string{"T1053.003"}, tactic: "persistence", severity: sevLow, kind: kindEndpoint},
	{name: "SSH Authorized Keys Modified", techniques: []string{"T1098.004"}, tactic: "persistence", severity: sevMed, kind: kindEndpoint},
	{name: "Web Shell Detected on Server", techniques: []string{"T1505.003"}, tactic: "persistence", severity: sevCrit, kind: kindEndpoint, file: true},
	{name: "Mailbox Forwarding Rule to External Address", techniques: []string{"T1114.003"}, tactic: "collection", severity: sevHigh, kind: kindCloud},
	{name: "Browser Extension Installed by Policy Bypass", techniques: []string{"T1176.001"}, tactic: "persistence", severity: sevLow, kind: kindEndpoint},

	// Privilege escalation.
	{name: "UAC Bypass via Auto-Elevated Binary", techniques: []string{"T1548.002"}, tactic: "privilege-escalation", severity: sevHigh, kind: kindEndpoint},
	{name: "Access Token Impersonation", techniques: []string{"T1134.001"}, tactic: "privilege-escalation", severity: sevHigh, kind: kindEndpoint},
	{name: "Sudo Used to Spawn Shell", techniques: []string{"T1548.003"}, tactic: "privilege-escalation", severity: sevMed, kind: kindEndpoint},
	{name: "Process Injection into System Process", techniques: []string{"T1055.001"}, tactic: "privilege-escalation", severity: sevHigh, kind: kindEndpoint},

	// Defense evasion.
	{name: "Security Tool Tampering", techniques: []string{"T1562.001"}, tactic: "defense-evasion", severity: sevHigh, kind: kindEndpoint},
	{name: "Windows Event Log Cleared", techniques: []string{"T1070.001"}, tactic: "defense-evasion", severity: sevHigh, kind: kindEndpoint},
	{name: "File Timestamps Modified", techniques: []string{"T1070.006"}, tactic: "defense-evasion", severity: sevMed, kind: kindEndpoint, file: true},
	{name: "Masquerading System Binary Name", techniques: []string{"T1036.005"}, tactic: "defense-evasion", severity: sevMed, kind: kindEndpoint, file: true},
	{name: "Obfuscated Script Written to Disk", techniques: []string{"T1027"}, tactic: "defense-evasion", severity: sevLow, kind: kindEndpoint, file: true},
	{name: "Antivirus Exclusion Added", techniques: []string{"T1562.001"}, tactic: "defense-evasion", severity: sevMed, kind: kindEndpoint},
	{name: "Cloud Audit Logging Disabled", techniques: []string{"T1562.008"}, tactic: "defense-evasion", severity: sevHigh, kind: kindCloud},
	{name: "Regsvr32 Loading Remote Scriptlet", techniques: []string{"T1218.010"}, tactic: "defense-evasion", severity: sevMed, kind: kindEndpoint},

	// Credential access.
	{name: "LSASS Memory Access by Unsigned Process", techniques: []string{"T1003.001"}, tactic: "credential-access", severity: sevCrit, kind: kindEndpoint},
	{name: "Kerberoasting Service Ticket Requests", techniques: []string{"T1558.003"}, tactic: "credential-access", severity: sevHigh, kind: kindIdentity},
	{name: "Password Spraying Across Accounts", techniques: []string{"T1110.003"}, tactic: "credential-access", severity: sevMed, kind: kindIdentity},
	{name: "NTDS.dit Extraction Attempt", techniques: []string{"T1003.003"}, tactic: "credential-access", severity: sevCrit, kind: kindEndpoint},
	{name: "Directory Replication from Non-Domain Controller", techniques: []string{"T1003.006"}, tactic: "credential-access", severity: sevCrit, kind: kindIdentity},
	{name: "Browser Credential Store Accessed", techniques: []string{"T1555.003"}, tactic: "credential-access", severity: sevMed, kind: kindEndpoint},
	{name: "MFA Push Fatigue", techniques: []string{"T1621"}, tactic: "credential-access", severity: sevHigh, kind: kindIdentity},
	{name: "SSH Brute Force from Internet", techniques: []string{"T1110.001"}, tactic: "credential-access", severity: sevLow, kind: kindNetwork},

	// Discovery.
	{name: "Active Directory Enumeration via LDAP", techniques: []string{"T1087.002"}, tactic: "discovery", severity: sevMed, kind: kindIdentity},
	{name: "Network Share Discovery", techniques: []string{"T1135"}, tactic: "discovery", severity: sevLow, kind: kindEndpoint},
	{name: "Domain Trust Discovery", techniques: []string{"T1482"}, tactic: "discovery", severity: sevMed, kind: kindEndpoint},
	{name: "Cloud Storage Enumeration", techniques: []string{"T1619"}, tactic: "discovery", severity: sevLow, kind: kindCloud},
	{name: "Burst of System Discovery Commands", techniques: []string{"T1082", "T1016"}, tactic: "discovery", severity: sevLow, kind: kindEndpoint},
	{name: "Remote System Discovery", techniques: []string{"T1018"}, tactic: "discovery", severity: sevLow, kind: kindEndpoint},
	{name: "Privileged Group Enumeration", techniques: []string{"T1069.002"}, tactic: "discovery", severity: sevLow, kind: kindEndpoint},

	// Lateral movement.
	{name: "RDP Logon from Workstation to Server", techniques: []string{"T1021.001"}, tactic: "lateral-movement", severity: sevLow, kind: kindEndpoint},
	{name: "Pass-the-Hash Logon", techniques: []string{"T1550.002"}, tactic: "lateral-movement", severity: sevHigh, kind: kindIdentity},
	{name: "WinRM Remote Command Execution", techniques: []string{"T1021.006"}, tactic: "lateral-movement", severity: sevMed, kind: kindEndpoint},
	{name: "SSH Lateral Movement Between Servers", techniques: []string{"T1021.004"}, tactic: "lateral-movement", severity: sevLow, kind: kindEndpoint},
	{name: "Remote Tool Copied over SMB", techniques: []string{"T1570"}, tactic: "lateral-movement", severity: sevMed, kind: kindEndpoint, file: true},

	// Collection.
	{name: "Large Archive Created in User Profile", techniques: []string{"T1560.001"}, tactic: "collection", severity: sevMed, kind: kindEndpoint, file: true},
	{name: "Mass File Access on File Server", techniques: []string{"T1039"}, tactic: "collection", severity: sevMed, kind: kindEndpoint},
	{name: "Mailbox Export Requested", techniques: []string{"T1114.002"}, tactic: "collection", severity: sevHigh, kind: kindCloud},
	{name: "Screen Capture Utility Executed", techniques: []string{"T1113"}, tactic: "collection", severity: sevLow, kind: kindEndpoint},

	// Command and control.
	{name: "Beaconing to Rare External Host", techniques: []string{"T1071.001", "T1573.002"}, tactic: "command-and-control", severity: sevHigh, kind: kindNetwork},
	{name: "DNS Tunneling Pattern", techniques: []string{"T1071.004"}, tactic: "command-and-control", severity: sevHigh, kind: kindDomain},
	{name: "Connection to Known C2 Infrastructure", techniques: []string{"T1071"}, tactic: "command-and-control", severity: sevCrit, kind: kindNetwork},
	{name: "Remote Access Software Installed", techniques: []string{"T1219"}, tactic: "command-and-control", severity: sevMed, kind: kindEndpoint, file: true},
	{name: "Tor Traffic Detected", techniques: []string{"T1090.003"}, tactic: "command-and-control", severity: sevMed, kind: kindNetwork},
	{name: "Tool Download via Certutil", techniques: []string{"T1105"}, tactic: "command-and-control", severity: sevHigh, kind: kindEndpoint, file: true},

	// Exfiltration.
	{name: "Large Upload to Cloud Storage Service", techniques: []string{"T1567.002"}, tactic: "exfiltration", severity: sevMed, kind: kindDomain},
	{name: "Exfiltration over Unencrypted Protocol", techniques: []string{"T1048.003"}, tactic: "exfiltration", severity: sevMed, kind: kindNetwork},
	{name: "Unusual Outbound Data Volume to C2", techniques: []string{"T1041"}, tactic: "exfiltration", severity: sevHigh, kind: kindNetwork},

	// Impact.
	{name: "Ransomware File Encryption Behaviour", techniques: []string{"T1486"}, tactic: "impact", severity: sevCrit, kind: kindEndpoint, file: true},
	{name: "Volume Shadow Copies Deleted", techniques: []string{"T1490"}, tactic: "impact", severity: sevCrit, kind: kindEndpoint},
	{name: "Mass File Deletion on Share", techniques: []string{"T1485"}, tactic: "impact", severity: sevHigh, kind: kindEndpoint},
	{name: "Backup Service Stopped", techniques: []string{"T1489"}, tactic: "impact", severity: sevHigh, kind: kindEndpoint},
	{name: "Cryptominer Process Detected", techniques: []string{"T1496.001"}, tactic: "impact", severity: sevMed, kind: kindEndpoint, file: true},

	// Cloud and identity posture turned detections.
	{name: "Root Account Console Login", techniques: []string{"T1078.004"}, tactic: "privilege-escalation", severity: sevHigh, kind: kindCloud},
	{name: "Access Key Created for Privileged User", techniques: []string{"T1098.001"}, tactic: "persistence", severity: sevMed, kind: kindCloud},
	{name: "Security Group Opened to the Internet", techniques: []string{"T1562.007"}, tactic: "defense-evasion", severity: sevMed, kind: kindCloud},
	{name: "OAuth Application Granted Broad Consent", techniques: []string{"T1528"}, tactic: "credential-access", severity: sevHigh, kind: kindCloud},
	{name: "Privileged Cloud Role Assigned", techniques: []string{"T1098.003"}, tactic: "persistence", severity: sevHigh, kind: kindCloud},
	{name: "Storage Snapshot Shared Publicly", techniques: []string{"T1537"}, tactic: "exfiltration", severity: sevHigh, kind: kindCloud},

	// Threat intelligence and EDR verdicts.
	{name: "Threat Intel Match: Known Malicious File Hash", techniques: []string{"T1204.002"}, tactic: "execution", severity: sevHigh, kind: kindEndpoint, file: true},
	{name: "Malware Detected and Quarantined by EDR", techniques: []string{"T1204.002"}, tactic: "execution", severity: sevMed, kind: kindEndpoint, file: true},
	{name: "Potentially Unwanted Application", techniques: []string{"T1072"}, tactic: "execution", severity: sevInfo, kind: kindEndpoint, file: true},
	{name: "Threat Intel Match: Known Malicious Domain", techniques: []string{"T1071.001", "T1583.001"}, tactic: "command-and-control", severity: sevMed, kind: kindDomain},
}

// drillSpec is the rule purple-team exercises trip; its alerts are tests.
var drillSpec = ruleSpec{
	name:       "Purple Team Exercise: Credential Dumping Simulation",
	techniques: []string{"T1003.001"},
	tactic:     "credential-access",
	severity:   sevHigh,
	kind:       kindEndpoint,
}

// majorScenario is a kind of major incident: the tactics its alerts walk
// through, in order.
type majorScenario struct {
	title   string
	tactics []string
}

var majorScenarios = []majorScenario{
	{"hands-on-keyboard intrusion", []string{"initial-access", "execution", "credential-access", "discovery", "lateral-movement", "command-and-control"}},
	{"ransomware precursor activity", []string{"execution", "defense-evasion", "credential-access", "lateral-movement", "impact"}},
	{"business email compromise", []string{"initial-access", "credential-access", "collection", "exfiltration"}},
	{"cloud credential compromise", []string{"initial-access", "persistence", "privilege-escalation", "defense-evasion", "exfiltration"}},
}

var firstNames = []string{
	"Ava", "Ben", "Chloe", "Daniel", "Elena", "Farah", "Gabriel", "Hana", "Isaac", "Julia",
	"Kenji", "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samuel", "Tara",
	"Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aaron", "Bianca", "Carlos", "Dina",
	"Emil", "Fiona", "Goran", "Helga", "Ines", "Jonas", "Kofi", "Lucia", "Mateo", "Noor",
}

var lastNames = []string{
	"Adams", "Bauer", "Chen", "Diaz", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
	"Kowalski", "Laurent", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi", "Singh", "Tanaka",
	"Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer", "Novak", "Murphy", "Silva", "Kim",
}

// skillNames are the competences of the skill matrix.
var skillNames = []string{
	"alert triage", "windows forensics", "linux forensics", "network analysis", "malware analysis",
	"cloud security", "identity security", "email security", "threat hunting", "incident command",
	"scripting", "detection engineering",
}

var certsByTier = [3][]string{
	{"CompTIA Security+", "CompTIA CySA+", "BTL1", "GIAC GSEC", "SC-200"},
	{"GIAC GCIH", "GIAC GCIA", "CompTIA CySA+", "OSCP", "SC-200", "GIAC GCED"},
	{"GIAC GCFA", "GIAC GREM", "GIAC GNFA", "CISSP", "OSCP", "GIAC GCTI"},
}

var roleByTier = [3]string{"analyst", "incident responder", "threat hunter"}

// Team names, one per tier.
var teamNames = [3]string{"Tier 1 Triage", "Tier 2 Incident Response", "Tier 3 Threat Hunting and Forensics"}

// The shifts: name, local start minute. All run eight hours, every day.
var shiftNames = [3]string{"Day", "Swing", "Night"}
var shiftStarts = [3]int{6 * 60, 14 * 60, 22 * 60}

const shiftMinutes = 8 * 60

// The SLA pause statuses. Both are in model.DefaultStatusMap (they map to
// investigating), and cases enter them only while investigating.
const (
	statusAwaitingUser   = "Awaiting User Info"
	statusAwaitingVendor = "Awaiting Vendor"
	statusInProgress     = "In Progress"
)

// Alert statuses.
const (
	alertNew        = "new"
	alertInProgress = "in_progress"
	alertEscalated  = "escalated"
	alertClosed     = "closed"
)

var notesInvestigating = []string{
	"Reviewed the EDR process tree; the parent chain is unusual, continuing the investigation.",
	"Checked sign-in history for the account: no other anomalous logons in the last 7 days.",
	"Pulled related network flows from the SIEM; one external destination needs a reputation check.",
	"Contacted the asset owner to confirm whether the activity was expected.",
	"Enrichment shows the indicator on two threat-intelligence feeds.",
	"No lateral movement observed from this host so far.",
	"Correlated with vulnerability data: the host is missing the latest cumulative update.",
	"Timeline built from EDR and proxy logs; first activity about twenty minutes before the alert.",
	"Searched the fleet for the same hash and command line: no other hits.",
	"Asked the identity team for the account's recent MFA registrations.",
}

var notesClosing = map[model.Disposition][]string{
	model.DispositionTruePositive: {
		"Malicious activity confirmed; scope limited to the listed entities. Remediation complete.",
		"Confirmed compromise; credentials reset, host reimaged, indicators blocked.",
		"True positive; the affected account is secured and follow-up actions are with the asset owner.",
	},
	model.DispositionBenignPositive: {
		"Confirmed with the owner: sanctioned administrative activity. Tuning exception requested.",
		"Activity is an approved penetration test by the red team.",
		"Legitimate software deployment by IT; detection worked as designed.",
	},
	model.DispositionFalsePositive: {
		"Detection matched a legitimate software update; false positive, tuning request filed.",
		"Rule logic too broad for this asset class; raised with detection engineering.",
	},
	model.DispositionInconclusive: {
		"Logs for the window were incomplete; no evidence of compromise found. Closing as inconclusive.",
	},
	model.DispositionTest: {
		"Purple-team exercise verified: detection, triage and escalation worked as planned.",
	},
}

var escalationNotes = []string{
	"Escalating: needs deeper host forensics than triage can provide.",
	"Escalating: possible credential theft, requesting identity investigation.",
	"Escalating: activity spans several hosts.",
	"Escalating: suspicious binary needs malware analysis.",
}

var reopenNotes = []string{
	"Reopened: the same indicator reappeared on the host after remediation.",
	"Reopened: the owner's confirmation was withdrawn; re-checking the activity.",
}

var pauseNotes = map[string]string{
	statusAwaitingUser:   "Waiting for the user to confirm the activity; SLA clock paused.",
	statusAwaitingVendor: "Waiting for the vendor's analysis of the sample; SLA clock paused.",
}
