package attack

import (
	"slices"
	"strings"
)

// kind is the family of an ATT&CK object. Malware and tools are one family
// because MITRE revokes across them (S9000 malware → S0508 tool).
type kind uint8

const (
	kindTechnique kind = iota + 1
	kindTactic
	kindGroup
	kindSoftware
	kindCampaign
)

// idKey is an identifier within a family.
type idKey struct {
	kind kind
	id   string
}

// node names one object of the catalog: its family and index in that
// family's slice.
type node struct {
	kind kind
	idx  int
}

// Catalog is a parsed ATT&CK catalog, from [Load] or [Parse]. It is
// read-only and safe for concurrent use.
type Catalog struct {
	tactics    []Tactic    // kill-chain order
	techniques []Technique // all, sorted by ID
	groups     []Group     // all, sorted by ID
	software   []Software  // all, sorted by ID
	campaigns  []Campaign  // all, sorted by ID

	// ids maps upper-case ATT&CK IDs to objects, stixIDs lower-case STIX
	// ids; per family, so that odd bundles cannot make one family's IDs
	// hide another's.
	ids, stixIDs map[idKey]int
	// tacticKeys maps lower-case tactic short names and names to tactic
	// indexes.
	tacticKeys map[string]int
	// names and aliases map lower-case names and aliases of groups, software
	// and campaigns to their objects, in ID order.
	names, aliases map[string][]node
	// current maps a revoked object to the end of its revoked-by chain.
	current map[node]node

	// Relationships, as sorted index lists of active objects.
	parent           []int   // technique → parent technique, or -1
	subtechniques    [][]int // technique → its sub-techniques
	tacticTechniques [][]int // tactic → techniques
	groupTechniques  [][]int // group → techniques, own and via campaigns
	groupSoftware    [][]int // group → software
	groupCampaigns   [][]int // group → campaigns attributed to it
	techniqueGroups  [][]int // technique → groups (inverse of groupTechniques)
	softwareTech     [][]int // software → techniques
	campaignTech     [][]int // campaign → techniques
	campaignSoftware [][]int // campaign → software
}

// resolve finds the object of family k that ref names by ATT&CK ID or
// STIX id ("type--uuid"), following revocations.
func (c *Catalog) resolve(ref string, k kind) (int, bool) {
	ref = strings.TrimSpace(ref)
	i, ok := c.ids[idKey{k, strings.ToUpper(ref)}]
	if !ok && strings.Contains(ref, "--") {
		i, ok = c.stixIDs[idKey{k, strings.ToLower(ref)}]
	}
	if !ok {
		return 0, false
	}
	if cur, ok := c.current[node{k, i}]; ok {
		return cur.idx, true
	}
	return i, true
}

// resolveNamed is resolve that also accepts a name, then an alias, in any
// case. A name matches before an alias; an alias shared by several active
// objects matches none of them.
func (c *Catalog) resolveNamed(ref string, k kind) (int, bool) {
	if i, ok := c.resolve(ref, k); ok {
		return i, true
	}
	key := strings.ToLower(strings.TrimSpace(ref))
	if n, ok := c.pickByName(c.names[key], k, false); ok {
		return n.idx, true
	}
	if n, ok := c.pickByName(c.aliases[key], k, true); ok {
		return n.idx, true
	}
	return 0, false
}

// pickByName picks among the objects of family k sharing a name: the
// active one (exactly one if unique is set), else the first inactive one
// after following its revocation.
func (c *Catalog) pickByName(candidates []node, k kind, unique bool) (node, bool) {
	var active, inactive []node
	for _, n := range candidates {
		if n.kind != k {
			continue
		}
		if c.active(n) {
			active = append(active, n)
			continue
		}
		if cur, ok := c.current[n]; ok {
			n = cur
		}
		if !slices.Contains(inactive, n) {
			inactive = append(inactive, n)
		}
	}
	if len(active) == 0 {
		active = inactive
	}
	if len(active) == 1 || len(active) > 1 && !unique {
		return active[0], true
	}
	return node{}, false
}

// active reports whether an object is neither revoked nor deprecated.
func (c *Catalog) active(n node) bool {
	switch n.kind {
	case kindTechnique:
		t := &c.techniques[n.idx]
		return !t.Revoked && !t.Deprecated
	case kindGroup:
		g := &c.groups[n.idx]
		return !g.Revoked && !g.Deprecated
	case kindSoftware:
		s := &c.software[n.idx]
		return !s.Revoked && !s.Deprecated
	case kindCampaign:
		m := &c.campaigns[n.idx]
		return !m.Revoked && !m.Deprecated
	}
	return true
}

// pick copies the elements of items at the given indexes.
func pick[T any](items []T, idxs []int) []T {
	if len(idxs) == 0 {
		return nil
	}
	out := make([]T, len(idxs))
	for i, j := range idxs {
		out[i] = items[j]
	}
	return out
}

// activeOf copies the active elements of items.
func activeOf[T any](c *Catalog, items []T, k kind) []T {
	var out []T
	for i := range items {
		if c.active(node{k, i}) {
			out = append(out, items[i])
		}
	}
	return out
}

// Tactics returns the tactics in kill-chain order (the order of the
// matrix, Reconnaissance first for Enterprise).
func (c *Catalog) Tactics() []Tactic {
	return append([]Tactic(nil), c.tactics...)
}

// Tactic returns the tactic named by ATT&CK ID ("TA0002"), short name
// ("execution", also "credential_access" as older Sigma tags write it), name
// ("Credential Access") or STIX id, in any case.
func (c *Catalog) Tactic(ref string) (Tactic, bool) {
	i, ok := c.tactic(ref)
	if !ok {
		return Tactic{}, false
	}
	return c.tactics[i], true
}

func (c *Catalog) tactic(ref string) (int, bool) {
	if i, ok := c.resolve(ref, kindTactic); ok {
		return i, true
	}
	key := strings.ToLower(strings.TrimSpace(ref))
	if i, ok := c.tacticKeys[key]; ok {
		return i, true
	}
	i, ok := c.tacticKeys[strings.ReplaceAll(key, "_", "-")]
	return i, ok
}

// Techniques returns the active techniques and sub-techniques, sorted by ID.
func (c *Catalog) Techniques() []Technique {
	return activeOf(c, c.techniques, kindTechnique)
}

// Technique returns the technique or sub-technique with the given ATT&CK ID
// or STIX id, in any case. A revoked technique resolves to its replacement
// (the result's ID then differs from ref); a revoked technique without a
// known replacement, and a deprecated one, are returned flagged.
func (c *Catalog) Technique(ref string) (Technique, bool) {
	i, ok := c.resolve(ref, kindTechnique)
	if !ok {
		return Technique{}, false
	}
	return c.techniques[i], true
}

// FullName returns the name MITRE displays for t: "Parent: Name" for a
// sub-technique, e.g. "Command and Scripting Interpreter: PowerShell", and
// Name otherwise.
func (c *Catalog) FullName(t Technique) string {
	if i, ok := c.ids[idKey{kindTechnique, t.Parent}]; ok && t.IsSubtechnique {
		return c.techniques[i].Name + ": " + t.Name
	}
	return t.Name
}

// ParentOf returns the parent technique of the sub-technique ref names
// (as [Catalog.Technique] resolves it). It reports false for a technique
// that is not a sub-technique and for an unknown ref.
func (c *Catalog) ParentOf(ref string) (Technique, bool) {
	i, ok := c.resolve(ref, kindTechnique)
	if !ok || c.parent[i] < 0 {
		return Technique{}, false
	}
	return c.techniques[c.parent[i]], true
}

// Subtechniques returns the active sub-techniques of the technique ref
// names, sorted by ID.
func (c *Catalog) Subtechniques(ref string) []Technique {
	i, ok := c.resolve(ref, kindTechnique)
	if !ok {
		return nil
	}
	return pick(c.techniques, c.subtechniques[i])
}

// TechniquesForTactic returns the active techniques and sub-techniques
// serving the tactic ref names (see [Catalog.Tactic]), sorted by ID.
func (c *Catalog) TechniquesForTactic(ref string) []Technique {
	i, ok := c.tactic(ref)
	if !ok {
		return nil
	}
	return pick(c.techniques, c.tacticTechniques[i])
}

// Groups returns the active groups, sorted by ID.
func (c *Catalog) Groups() []Group {
	return activeOf(c, c.groups, kindGroup)
}

// Group returns the group ref names: an ATT&CK ID ("G0016"), STIX id, name
// ("APT29") or alias ("Cozy Bear"), in any case. Revoked groups resolve to
// the group they were merged into (G0118 UNC2452 → G0016 APT29). An alias
// MITRE gives to several active groups resolves to none.
func (c *Catalog) Group(ref string) (Group, bool) {
	i, ok := c.resolveNamed(ref, kindGroup)
	if !ok {
		return Group{}, false
	}
	return c.groups[i], true
}

// GroupTechniques returns the active techniques and sub-techniques the
// group ref names (see [Catalog.Group]) uses, sorted by ID: the targets of
// its own uses relationships and of those of the active campaigns
// attributed to it. Techniques only its software uses are not included.
func (c *Catalog) GroupTechniques(ref string) []Technique {
	i, ok := c.resolveNamed(ref, kindGroup)
	if !ok {
		return nil
	}
	return pick(c.techniques, c.groupTechniques[i])
}

// TechniqueGroups returns the active groups that use the technique ref
// names, directly or through an attributed campaign, sorted by ID: the
// inverse of [Catalog.GroupTechniques].
func (c *Catalog) TechniqueGroups(ref string) []Group {
	i, ok := c.resolve(ref, kindTechnique)
	if !ok {
		return nil
	}
	return pick(c.groups, c.techniqueGroups[i])
}

// GroupSoftware returns the active software the group ref names uses
// directly, sorted by ID.
func (c *Catalog) GroupSoftware(ref string) []Software {
	i, ok := c.resolveNamed(ref, kindGroup)
	if !ok {
		return nil
	}
	return pick(c.software, c.groupSoftware[i])
}

// GroupCampaigns returns the active campaigns attributed to the group ref
// names, sorted by ID.
func (c *Catalog) GroupCampaigns(ref string) []Campaign {
	i, ok := c.resolveNamed(ref, kindGroup)
	if !ok {
		return nil
	}
	return pick(c.campaigns, c.groupCampaigns[i])
}

// SoftwareList returns the active software (malware and tools), sorted by
// ID.
func (c *Catalog) SoftwareList() []Software {
	return activeOf(c, c.software, kindSoftware)
}

// Software returns the software ref names: an ATT&CK ID ("S0039"), STIX id,
// name ("Net") or alias ("net.exe"), in any case, following revocations. An
// alias MITRE gives to several active entries resolves to none.
func (c *Catalog) Software(ref string) (Software, bool) {
	i, ok := c.resolveNamed(ref, kindSoftware)
	if !ok {
		return Software{}, false
	}
	return c.software[i], true
}

// SoftwareTechniques returns the active techniques the software ref names
// uses, sorted by ID.
func (c *Catalog) SoftwareTechniques(ref string) []Technique {
	i, ok := c.resolveNamed(ref, kindSoftware)
	if !ok {
		return nil
	}
	return pick(c.techniques, c.softwareTech[i])
}

// Campaigns returns the active campaigns, sorted by ID.
func (c *Catalog) Campaigns() []Campaign {
	return activeOf(c, c.campaigns, kindCampaign)
}

// Campaign returns the campaign ref names: an ATT&CK ID ("C0022"), STIX id,
// name or alias, in any case, following revocations.
func (c *Catalog) Campaign(ref string) (Campaign, bool) {
	i, ok := c.resolveNamed(ref, kindCampaign)
	if !ok {
		return Campaign{}, false
	}
	return c.campaigns[i], true
}

// CampaignTechniques returns the active techniques used in the campaign ref
// names, sorted by ID.
func (c *Catalog) CampaignTechniques(ref string) []Technique {
	i, ok := c.resolveNamed(ref, kindCampaign)
	if !ok {
		return nil
	}
	return pick(c.techniques, c.campaignTech[i])
}

// CampaignSoftware returns the active software used in the campaign ref
// names, sorted by ID.
func (c *Catalog) CampaignSoftware(ref string) []Software {
	i, ok := c.resolveNamed(ref, kindCampaign)
	if !ok {
		return nil
	}
	return pick(c.software, c.campaignSoftware[i])
}
