package intel

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Profile kinds.
const (
	KindActor      = "actor"
	KindCampaign   = "campaign"
	KindMalware    = "malware"
	KindRansomware = "ransomware"
)

// SourceATTACK names the embedded MITRE ATT&CK catalog as a profile source.
const SourceATTACK = "mitre-attack"

// ProfileSource is one source object merged into a profile.
type ProfileSource struct {
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
}

// Profile is one adversary, campaign or piece of malware, merged from
// every source that describes it: the ATT&CK catalog, STIX objects from
// feeds, MISP galaxy clusters. Texts from feeds are attacker-influenced
// data.
type Profile struct {
	// ID is the ATT&CK id when the profile has one (G0007, C0022, S0367),
	// else "tp-" and a digest of its first source object.
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Aliases are the other names sources give it.
	Aliases     []string `json:"aliases"`
	Description string   `json:"description"`
	// Country is where the adversary is said to operate from.
	Country string `json:"country"`
	// Victims are the countries and regions it is said to target; Sectors
	// the sectors.
	Victims    []string `json:"victims"`
	Sectors    []string `json:"sectors"`
	Motivation string   `json:"motivation"`
	// AttackIDs are its MITRE ATT&CK ids; Techniques the ATT&CK techniques
	// it uses (the catalog's and those feeds relate to it), sorted.
	AttackIDs  []string `json:"attack_ids"`
	Techniques []string `json:"techniques"`
	// AttributedTo are, for a campaign, the profiles of the actors it is
	// attributed to.
	AttributedTo []string  `json:"attributed_to"`
	URL          string    `json:"url"`
	Refs         []string  `json:"refs"`
	FirstSeen    time.Time `json:"first_seen,omitzero"`
	LastSeen     time.Time `json:"last_seen,omitzero"`
	// Sources are the objects merged into it, first the one it was made from.
	Sources []ProfileSource `json:"sources"`

	// bases are its techniques' parent techniques, sorted.
	bases []string
}

// ProfileSet is every threat profile, with the lookups ranking needs.
type ProfileSet struct {
	Profiles []*Profile
	// platformsMu guards platforms: for a set of organisation platforms,
	// each profile's techniques on them and techniques the catalog knows.
	platformsMu sync.Mutex
	platforms   map[string]map[*Profile][2]int
	byID        map[string]*Profile
	byRef       map[string][]*Profile
	aliases     map[aliasKey]int // index in Profiles, -1 when two profiles claim the alias
	// indicates maps an indicator's external id onto the profiles feeds say
	// it indicates.
	indicates map[string][]*Profile
}

// Get returns a profile by id (case-insensitive).
func (ps *ProfileSet) Get(id string) (*Profile, bool) {
	p, ok := ps.byID[strings.ToUpper(strings.TrimSpace(id))]
	return p, ok
}

// Find returns a profile by id, name or alias.
func (ps *ProfileSet) Find(ref string) (*Profile, bool) {
	if p, ok := ps.Get(ref); ok {
		return p, true
	}
	for _, g := range []string{KindActor, KindCampaign, KindMalware} {
		if i, ok := ps.aliases[aliasKey{g, normAlias(ref)}]; ok && i >= 0 {
			return ps.Profiles[i], true
		}
	}
	return nil, false
}

// ForIndicator returns the profiles an indicator indicates.
func (ps *ProfileSet) ForIndicator(externalID string) []*Profile { return ps.indicates[externalID] }

type aliasKey struct{ group, name string }

// kindGroup is the family of kinds that merge with each other.
func kindGroup(kind string) string {
	if kind == KindRansomware {
		return KindMalware
	}
	return kind
}

// profileKinds maps threat object kinds onto profile kinds; other objects
// (attack patterns, identities, locations, tools) only add to profiles.
var profileKinds = map[string]string{
	model.ThreatIntrusionSet: KindActor, model.ThreatActor: KindActor, model.ThreatCampaign: KindCampaign,
	model.ThreatMalware: KindMalware, model.ThreatRansomware: KindRansomware,
}

// normAlias compares names without case, spaces, punctuation or quotes:
// "APT 28", "apt-28" and "APT28" are one name.
func normAlias(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '-', '_', '.', '"', '\'', '\t', '(', ')':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// BuildProfiles merges the ATT&CK catalog's groups, campaigns and malware
// with the threat objects and relationships feeds stored.
//
// A feed object joins the profile whose ATT&CK id it names (a galaxy
// synonym G0007, a STIX external reference), else the one profile of its
// family (actors, campaigns, malware) whose name or alias equals its name
// or one of its aliases — names are compared without case, spaces and
// punctuation, and an alias two profiles claim is not used. Otherwise it
// starts a profile of its own. Relationships then add what they say:
// "uses" an attack pattern adds its technique, "targets" an identity or a
// location adds sectors or victims, "attributed-to" links a campaign to
// its actors, and "indicates" links indicators to profiles.
func BuildProfiles(cat *attack.Catalog, objs []model.ThreatObject, rels []model.IntelRelation) *ProfileSet {
	ps := &ProfileSet{byID: map[string]*Profile{}, byRef: map[string][]*Profile{}, aliases: map[aliasKey]int{},
		indicates: map[string][]*Profile{}}
	if cat != nil {
		ps.addCatalog(cat)
	}
	techniques := map[string][]string{} // attack pattern external id → technique ids
	sectors := map[string][]string{}    // identity → sectors
	places := map[string][]string{}     // location → victims
	for i := range objs {
		o := &objs[i]
		if o.Revoked {
			continue
		}
		switch o.Kind {
		case model.ThreatAttackPattern:
			for _, id := range o.AttackIDs {
				if strings.HasPrefix(id, "T") {
					techniques[o.ExternalID] = append(techniques[o.ExternalID], id)
				}
			}
		case model.ThreatIdentity:
			sectors[o.ExternalID] = o.Sectors
		case model.ThreatLocation:
			places[o.ExternalID] = o.Victims
		}
	}
	for i := range objs {
		o := &objs[i]
		if kind, ok := profileKinds[o.Kind]; ok && !o.Revoked {
			ps.addObject(o, kind)
		}
	}
	for _, r := range rels {
		switch r.Type {
		case "uses":
			for _, p := range ps.resolve(r.From) {
				p.Techniques = append(p.Techniques, techniques[r.To]...)
			}
		case "targets":
			for _, p := range ps.resolve(r.From) {
				p.Sectors = append(p.Sectors, sectors[r.To]...)
				p.Victims = append(p.Victims, places[r.To]...)
			}
		case "attributed-to":
			for _, to := range ps.resolve(r.To) {
				for _, p := range ps.resolve(r.From) {
					if p.Kind == KindCampaign && to != p {
						p.AttributedTo = append(p.AttributedTo, to.ID)
					}
				}
			}
		case "indicates":
			for _, p := range ps.resolve(r.To) {
				if !slices.Contains(ps.indicates[r.From], p) {
					ps.indicates[r.From] = append(ps.indicates[r.From], p)
				}
			}
		}
	}
	for _, p := range ps.Profiles {
		for _, l := range []*[]string{&p.Aliases, &p.Victims, &p.Sectors, &p.AttackIDs, &p.Techniques, &p.AttributedTo} {
			*l = uniqueSorted(*l)
		}
		for _, t := range p.Techniques {
			p.bases = append(p.bases, baseTechnique(t))
		}
		slices.Sort(p.bases)
		p.bases = slices.Compact(p.bases)
	}
	return ps
}

// platformCoverage returns, for each profile, how many of its techniques
// run on one of the platforms and how many the catalog knows; computed
// once per set of platforms.
func (ps *ProfileSet) platformCoverage(cat *attack.Catalog, platforms []string) map[*Profile][2]int {
	key := strings.Join(platforms, "\x00")
	ps.platformsMu.Lock()
	defer ps.platformsMu.Unlock()
	if m, ok := ps.platforms[key]; ok {
		return m
	}
	m := make(map[*Profile][2]int, len(ps.Profiles))
	for _, p := range ps.Profiles {
		on, total := 0, 0
		for _, id := range p.Techniques {
			t, ok := cat.Technique(id)
			if !ok {
				continue
			}
			total++
			for _, pl := range t.Platforms {
				if slices.Contains(platforms, pl) {
					on++
					break
				}
			}
		}
		m[p] = [2]int{on, total}
	}
	if ps.platforms == nil {
		ps.platforms = map[string]map[*Profile][2]int{}
	}
	ps.platforms[key] = m
	return m
}

func uniqueSorted(s []string) []string {
	out := make([]string, 0, len(s))
	seen := map[string]bool{}
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" && !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func techniqueIDs(ts []attack.Technique) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func (ps *ProfileSet) addCatalog(cat *attack.Catalog) {
	for _, g := range cat.Groups() {
		p := &Profile{ID: g.ID, Kind: KindActor, Name: g.Name, Aliases: slices.Clone(g.Aliases), Description: attack.PlainText(g.Description),
			AttackIDs: []string{g.ID}, Techniques: techniqueIDs(cat.GroupTechniques(g.ID)), URL: g.URL(),
			Sources: []ProfileSource{{SourceATTACK, g.ID, g.Name, model.ThreatIntrusionSet}}}
		ps.add(p, g.STIXID)
	}
	for _, c := range cat.Campaigns() {
		p := &Profile{ID: c.ID, Kind: KindCampaign, Name: c.Name, Aliases: slices.Clone(c.Aliases), Description: attack.PlainText(c.Description),
			AttackIDs: []string{c.ID}, Techniques: techniqueIDs(cat.CampaignTechniques(c.ID)), URL: c.URL(), FirstSeen: c.FirstSeen,
			LastSeen: c.LastSeen, AttributedTo: slices.Clone(c.AttributedTo), Sources: []ProfileSource{{SourceATTACK, c.ID, c.Name, model.ThreatCampaign}}}
		ps.add(p, c.STIXID)
	}
	for _, s := range cat.SoftwareList() {
		if s.Type != attack.Malware {
			continue
		}
		p := &Profile{ID: s.ID, Kind: KindMalware, Name: s.Name, Aliases: slices.Clone(s.Aliases), Description: attack.PlainText(s.Description),
			AttackIDs: []string{s.ID}, Techniques: techniqueIDs(cat.SoftwareTechniques(s.ID)), URL: s.URL(),
			Sources: []ProfileSource{{SourceATTACK, s.ID, s.Name, model.ThreatMalware}}}
		ps.add(p, s.STIXID)
	}
}

// add registers a new profile under its id, a reference and its names.
func (ps *ProfileSet) add(p *Profile, ref string) {
	p.ID = strings.ToUpper(p.ID)
	ps.Profiles = append(ps.Profiles, p)
	ps.byID[p.ID] = p
	if ref != "" {
		ps.byRef[ref] = append(ps.byRef[ref], p)
	}
	ps.indexNames(len(ps.Profiles)-1, append([]string{p.Name}, p.Aliases...))
}

func (ps *ProfileSet) indexNames(i int, names []string) {
	g := kindGroup(ps.Profiles[i].Kind)
	for _, n := range names {
		k := aliasKey{g, normAlias(n)}
		if len(k.name) < 3 {
			continue
		}
		if j, ok := ps.aliases[k]; ok && j != i {
			ps.aliases[k] = -1
			continue
		}
		ps.aliases[k] = i
	}
}

// addObject merges a feed's object into its profile, or starts one.
func (ps *ProfileSet) addObject(o *model.ThreatObject, kind string) {
	target := -1
	for _, id := range o.AttackIDs {
		if p, ok := ps.byID[strings.ToUpper(id)]; ok && kindGroup(p.Kind) == kindGroup(kind) {
			target = slices.Index(ps.Profiles, p)
			break
		}
	}
	if target < 0 {
		found := map[int]bool{}
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if i, ok := ps.aliases[aliasKey{kindGroup(kind), normAlias(n)}]; ok && i >= 0 {
				found[i] = true
			}
		}
		if len(found) == 1 {
			for i := range found {
				target = i
			}
		} else if i, ok := ps.aliases[aliasKey{kindGroup(kind), normAlias(o.Name)}]; ok && i >= 0 {
			target = i // several candidates: the one named like the object
		}
	}
	src := ProfileSource{o.Source, o.ExternalID, o.Name, o.Kind}
	if target < 0 {
		sum := sha256.Sum256([]byte(o.Source + "/" + o.ExternalID))
		p := &Profile{ID: "TP-" + strings.ToUpper(hex.EncodeToString(sum[:5])), Kind: kind, Name: o.Name, Aliases: slices.Clone(o.Aliases),
			Description: o.Description, Sources: []ProfileSource{src}}
		ps.add(p, o.ExternalID)
		target = len(ps.Profiles) - 1
	} else {
		p := ps.Profiles[target]
		p.Sources = append(p.Sources, src)
		if !strings.EqualFold(o.Name, p.Name) {
			p.Aliases = append(p.Aliases, o.Name)
		}
		p.Aliases = append(p.Aliases, o.Aliases...)
		if p.Description == "" {
			p.Description = o.Description
		}
		if p.Kind == KindMalware && kind == KindRansomware {
			p.Kind = KindRansomware
		}
		ps.byRef[o.ExternalID] = append(ps.byRef[o.ExternalID], p)
		ps.indexNames(target, append([]string{o.Name}, o.Aliases...))
	}
	p := ps.Profiles[target]
	if p.Country == "" {
		p.Country = o.Country
	}
	if p.Motivation == "" {
		p.Motivation = o.Motivation
	}
	p.Victims = append(p.Victims, o.Victims...)
	p.Sectors = append(p.Sectors, o.Sectors...)
	p.Techniques = append(p.Techniques, o.Techniques...)
	for _, id := range o.AttackIDs {
		if strings.HasPrefix(id, "T") {
			p.Techniques = append(p.Techniques, id)
		} else {
			p.AttackIDs = append(p.AttackIDs, id)
		}
	}
	for _, r := range o.Refs {
		if len(p.Refs) < 10 && !slices.Contains(p.Refs, r) {
			p.Refs = append(p.Refs, r)
		}
	}
	if !o.FirstSeen.IsZero() && (p.FirstSeen.IsZero() || o.FirstSeen.Before(p.FirstSeen)) {
		p.FirstSeen = o.FirstSeen
	}
	if o.LastSeen.After(p.LastSeen) {
		p.LastSeen = o.LastSeen
	}
}

// resolve finds the profiles a relationship end names: an object's
// external id, or "name:" and a name or alias.
func (ps *ProfileSet) resolve(ref string) []*Profile {
	if name, ok := strings.CutPrefix(ref, "name:"); ok {
		var out []*Profile
		for _, g := range []string{KindActor, KindCampaign, KindMalware} {
			if i, ok := ps.aliases[aliasKey{g, normAlias(name)}]; ok && i >= 0 {
				out = append(out, ps.Profiles[i])
			}
		}
		return out
	}
	return ps.byRef[ref]
}

// ForObject returns the profiles a source object (by external id) was
// merged into.
func (ps *ProfileSet) ForObject(externalID string) []*Profile { return ps.byRef[externalID] }
