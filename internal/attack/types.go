package attack

import (
	"regexp"
	"strings"
	"time"
)

// site is the ATT&CK website the URL methods point into.
const site = "https://attack.mitre.org/"

// Tactic is an ATT&CK tactic, the adversary's goal for a technique.
type Tactic struct {
	// ID is the ATT&CK ID, e.g. "TA0002".
	ID string
	// ShortName is the kill-chain phase name techniques refer to, e.g.
	// "execution"; Sigma's attack.* tactic tags use it too.
	ShortName string
	// Name is the display name, e.g. "Execution".
	Name string
	// Description is MITRE's short description (Markdown, see [PlainText]).
	Description string
	// STIXID is the STIX object id.
	STIXID string
}

// URL returns the tactic's page on the ATT&CK website.
func (t Tactic) URL() string { return site + "tactics/" + t.ID }

// Technique is an ATT&CK technique or sub-technique.
type Technique struct {
	// ID is the ATT&CK ID, e.g. "T1059" or, for a sub-technique, "T1059.001".
	ID string
	// Name is the display name, e.g. "PowerShell". Sub-technique names are
	// not unique on their own; see [Catalog.FullName].
	Name string
	// Tactics are the short names of the tactics the technique serves, in
	// kill-chain order, e.g. ["execution"].
	Tactics []string
	// Platforms are the platforms it applies to, e.g. ["Windows"].
	Platforms []string
	// Description is MITRE's short description (Markdown, see [PlainText]).
	Description string
	// IsSubtechnique reports whether this is a sub-technique of Parent.
	IsSubtechnique bool
	// Parent is the ATT&CK ID of the parent technique of a sub-technique,
	// or "".
	Parent string
	// Revoked reports whether MITRE revoked the technique (it was replaced
	// by another; lookups follow the replacement).
	Revoked bool
	// Deprecated reports whether MITRE deprecated the technique (it is no
	// longer maintained and has no replacement).
	Deprecated bool
	// STIXID is the STIX object id.
	STIXID string
}

// URL returns the technique's page on the ATT&CK website, e.g.
// https://attack.mitre.org/techniques/T1059/001.
func (t Technique) URL() string {
	return site + "techniques/" + strings.Replace(t.ID, ".", "/", 1)
}

// Group is an ATT&CK group (a STIX intrusion-set): a threat actor.
type Group struct {
	// ID is the ATT&CK ID, e.g. "G0016".
	ID string
	// Name is the name MITRE uses, e.g. "APT29".
	Name string
	// Aliases are the other names MITRE lists for the group, e.g.
	// "Cozy Bear"; Name is not repeated here.
	Aliases []string
	// Description is MITRE's short description (Markdown, see [PlainText]).
	Description string
	// Revoked reports whether MITRE revoked the group (merged it into
	// another; lookups follow the replacement).
	Revoked bool
	// Deprecated reports whether MITRE deprecated the group.
	Deprecated bool
	// STIXID is the STIX object id.
	STIXID string
}

// URL returns the group's page on the ATT&CK website.
func (g Group) URL() string { return site + "groups/" + g.ID }

// Software types.
const (
	Malware = "malware"
	Tool    = "tool"
)

// Software is an ATT&CK software entry: malware or a tool.
type Software struct {
	// ID is the ATT&CK ID, e.g. "S0039".
	ID string
	// Name is the name MITRE uses, e.g. "Net".
	Name string
	// Type is [Malware] or [Tool].
	Type string
	// Aliases are the other names MITRE lists; Name is not repeated here.
	Aliases []string
	// Platforms are the platforms it runs on.
	Platforms []string
	// Description is MITRE's short description (Markdown, see [PlainText]).
	Description string
	// Revoked reports whether MITRE revoked the entry (lookups follow the
	// replacement).
	Revoked bool
	// Deprecated reports whether MITRE deprecated the entry.
	Deprecated bool
	// STIXID is the STIX object id.
	STIXID string
}

// URL returns the software's page on the ATT&CK website.
func (s Software) URL() string { return site + "software/" + s.ID }

// Campaign is an ATT&CK campaign: a set of intrusion activity over a period
// of time, possibly attributed to groups.
type Campaign struct {
	// ID is the ATT&CK ID, e.g. "C0022".
	ID string
	// Name is the name MITRE uses, e.g. "Operation Dream Job".
	Name string
	// Aliases are the other names MITRE lists; Name is not repeated here.
	Aliases []string
	// Description is MITRE's short description (Markdown, see [PlainText]).
	Description string
	// FirstSeen and LastSeen bound the activity, in UTC; zero when unknown.
	FirstSeen, LastSeen time.Time
	// AttributedTo are the ATT&CK IDs of the groups the campaign is
	// attributed to, sorted.
	AttributedTo []string
	// Revoked reports whether MITRE revoked the campaign (lookups follow
	// the replacement).
	Revoked bool
	// Deprecated reports whether MITRE deprecated the campaign.
	Deprecated bool
	// STIXID is the STIX object id.
	STIXID string
}

// URL returns the campaign's page on the ATT&CK website.
func (c Campaign) URL() string { return site + "campaigns/" + c.ID }

var (
	markdownLink = regexp.MustCompile(`\[([^\]]*)\]\([^)\s]*\)`)
	citation     = regexp.MustCompile(`\s*\(Citation:[^)]*\)`)
	spaces       = regexp.MustCompile(`[ \t]{2,}`)
)

// PlainText turns an ATT&CK description into plain text: Markdown links
// become their text and "(Citation: …)" markers are removed. The result is
// still MITRE's text, not escaped for any output format.
func PlainText(description string) string {
	s := markdownLink.ReplaceAllString(description, "$1")
	s = citation.ReplaceAllString(s, "")
	s = spaces.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}
