package attack

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
)

// stixObject is the union of the STIX fields Parse reads.
type stixObject struct {
	Type               string              `json:"type"`
	ID                 string              `json:"id"`
	Name               string              `json:"name"`
	Description        string              `json:"description"`
	ExternalReferences []externalReference `json:"external_references"`
	KillChainPhases    []killChainPhase    `json:"kill_chain_phases"`
	Platforms          []string            `json:"x_mitre_platforms"`
	IsSubtechnique     bool                `json:"x_mitre_is_subtechnique"`
	ShortName          string              `json:"x_mitre_shortname"`
	Revoked            bool                `json:"revoked"`
	Deprecated         bool                `json:"x_mitre_deprecated"`
	Aliases            []string            `json:"aliases"`
	SoftwareAliases    []string            `json:"x_mitre_aliases"`
	FirstSeen          string              `json:"first_seen"`
	LastSeen           string              `json:"last_seen"`
	TacticRefs         []string            `json:"tactic_refs"` // x-mitre-matrix
	RelationshipType   string              `json:"relationship_type"`
	SourceRef          string              `json:"source_ref"`
	TargetRef          string              `json:"target_ref"`
}

// externalReference is an element of external_references.
type externalReference struct {
	SourceName string `json:"source_name"`
	ExternalID string `json:"external_id"`
}

// killChainPhase is an element of kill_chain_phases.
type killChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// relationship is a relationship between two objects, by STIX id.
type relationship struct {
	typ, source, target string
}

// builder collects the objects of a bundle before the catalog's indexes are
// built.
type builder struct {
	tactics    []Tactic
	techniques []Technique
	groups     []Group
	software   []Software
	campaigns  []Campaign
	tacticRefs []string // kill-chain order from the matrices
	rels       []relationship
	intern     map[string]string // shared copies of repeated strings
}

// Parse reads an ATT&CK STIX 2.0 or 2.1 bundle, gzipped or plain, such as
// enterprise-attack.json from mitre/cti. Objects without a mitre-attack
// external ID, object types other than tactics, techniques, groups,
// software, campaigns and matrices, and relationships other than uses,
// subtechnique-of, attributed-to and revoked-by are ignored. It reads the
// bundle as a stream, one object at a time.
func Parse(r io.Reader) (*Catalog, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var in io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading ATT&CK bundle: %w", err)
		}
		defer zr.Close()
		in = zr
	}
	b := builder{intern: make(map[string]string)}
	if err := b.read(in); err != nil {
		return nil, fmt.Errorf("reading ATT&CK bundle: %w", err)
	}
	if len(b.techniques) == 0 {
		return nil, errors.New("reading ATT&CK bundle: it holds no ATT&CK techniques")
	}
	return b.build(), nil
}

// read walks the bundle's top-level object and decodes its objects array
// one element at a time, with encoding/json.
func (b *builder) read(r io.Reader) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{', "the bundle object"); err != nil {
		return err
	}
	var bundleType string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("bundle key: %w", jsonError(err))
		}
		switch key, _ := tok.(string); key {
		case "type":
			if err := dec.Decode(&bundleType); err != nil {
				return fmt.Errorf("bundle type: %w", jsonError(err))
			}
		case "objects":
			if err := b.readObjects(dec); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("bundle %s: %w", key, jsonError(err))
			}
		}
	}
	if err := expectDelim(dec, '}', "',' or '}' in the bundle"); err != nil {
		return err
	}
	if bundleType != "bundle" {
		return fmt.Errorf("top-level type is %q, want \"bundle\"", bundleType)
	}
	// Reading to the end makes gzip verify its checksum.
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("data after the bundle at byte %d", dec.InputOffset())
		}
		return fmt.Errorf("after the bundle: %w", err)
	}
	return nil
}

// expectDelim reads the next token, which must be the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err == io.EOF {
		return fmt.Errorf("unexpected end of input looking for %s", what)
	}
	if err != nil {
		return jsonError(err)
	}
	if tok != d {
		return fmt.Errorf("invalid JSON: found %v looking for %s", tok, what)
	}
	return nil
}

// jsonError marks a syntax error as such, and calls a stream that ends
// inside a value an unexpected end of input.
func jsonError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON: %w", err)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of input")
	}
	return err
}

// readObjects decodes the elements of the bundle's objects array.
func (b *builder) readObjects(dec *json.Decoder) error {
	if err := expectDelim(dec, '[', "the objects array"); err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	for i := 0; dec.More(); i++ {
		var o stixObject
		err := dec.Decode(&o)
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return fmt.Errorf("objects[%d] is %s, want an object", i, jsonKind(te.Value))
		case errors.As(err, &te):
			// Types Parse ignores may use these keys for other things.
			if reads(&o) {
				return fmt.Errorf("objects[%d] (%s %s): %q is %s, want %s", i, o.Type, o.ID, te.Field, jsonKind(te.Value), goKind(te.Type))
			}
		case err != nil:
			return fmt.Errorf("objects[%d]: %w", i, jsonError(err))
		}
		b.internObject(&o)
		if err := b.add(&o); err != nil {
			return fmt.Errorf("objects[%d] (%s %s): %w", i, o.Type, o.ID, err)
		}
	}
	if err := expectDelim(dec, ']', "',' or ']' in objects"); err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	return nil
}

// jsonKind names a JSON value kind as encoding/json reports it ("string",
// "number", "array", "object", "bool") with its article.
func jsonKind(v string) string {
	switch {
	case v == "array" || v == "object":
		return "an " + v
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "bool":
		return "a boolean"
	}
	return "a " + v
}

// goKind names the JSON kind a Go field type takes.
func goKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	}
	return "a " + t.Kind().String()
}

// internObject shares the strings the catalog keeps many copies of (types,
// platforms, kill-chain phases) with the builder's earlier objects.
func (b *builder) internObject(o *stixObject) {
	o.Type = b.internStr(o.Type)
	for i, p := range o.Platforms {
		o.Platforms[i] = b.internStr(p)
	}
	for i := range o.KillChainPhases {
		o.KillChainPhases[i].PhaseName = b.internStr(o.KillChainPhases[i].PhaseName)
	}
}

func (b *builder) internStr(s string) string {
	if v, ok := b.intern[s]; ok {
		return v
	}
	b.intern[s] = s
	return s
}

// reads reports whether Parse uses objects of o's type.
func reads(o *stixObject) bool {
	switch o.Type {
	case "attack-pattern", "x-mitre-tactic", "x-mitre-matrix", "intrusion-set", "malware", "tool", "campaign":
		return true
	case "relationship":
		switch o.RelationshipType {
		case "uses", "subtechnique-of", "attributed-to", "revoked-by":
			return true
		}
	}
	return false
}

func (b *builder) add(o *stixObject) error {
	if !reads(o) {
		return nil
	}
	switch o.Type {
	case "relationship":
		b.rels = append(b.rels, relationship{o.RelationshipType, o.SourceRef, o.TargetRef})
		return nil
	case "x-mitre-matrix":
		b.tacticRefs = append(b.tacticRefs, o.TacticRefs...)
		return nil
	}
	id := attackID(o)
	if id == "" {
		return nil
	}
	stixID := o.ID
	switch o.Type {
	case "attack-pattern":
		var tactics []string
		for _, p := range o.KillChainPhases {
			if p.PhaseName != "" && !slices.Contains(tactics, p.PhaseName) {
				tactics = append(tactics, p.PhaseName)
			}
		}
		b.techniques = append(b.techniques, Technique{
			ID:             id,
			Name:           o.Name,
			Tactics:        tactics,
			Platforms:      o.Platforms,
			Description:    o.Description,
			IsSubtechnique: o.IsSubtechnique,
			Revoked:        o.Revoked,
			Deprecated:     o.Deprecated,
			STIXID:         stixID,
		})
	case "x-mitre-tactic":
		b.tactics = append(b.tactics, Tactic{
			ID:          id,
			ShortName:   o.ShortName,
			Name:        o.Name,
			Description: o.Description,
			STIXID:      stixID,
		})
	case "intrusion-set":
		b.groups = append(b.groups, Group{
			ID:          id,
			Name:        o.Name,
			Aliases:     otherNames(o.Name, o.Aliases),
			Description: o.Description,
			Revoked:     o.Revoked,
			Deprecated:  o.Deprecated,
			STIXID:      stixID,
		})
	case "malware", "tool":
		b.software = append(b.software, Software{
			ID:          id,
			Name:        o.Name,
			Type:        o.Type,
			Aliases:     otherNames(o.Name, o.SoftwareAliases),
			Platforms:   o.Platforms,
			Description: o.Description,
			Revoked:     o.Revoked,
			Deprecated:  o.Deprecated,
			STIXID:      stixID,
		})
	case "campaign":
		first, err := parseTime(o.FirstSeen)
		if err != nil {
			return fmt.Errorf("first_seen: %w", err)
		}
		last, err := parseTime(o.LastSeen)
		if err != nil {
			return fmt.Errorf("last_seen: %w", err)
		}
		b.campaigns = append(b.campaigns, Campaign{
			ID:          id,
			Name:        o.Name,
			Aliases:     otherNames(o.Name, o.Aliases),
			Description: o.Description,
			FirstSeen:   first,
			LastSeen:    last,
			Revoked:     o.Revoked,
			Deprecated:  o.Deprecated,
			STIXID:      stixID,
		})
	}
	return nil
}

// attackID returns the object's ATT&CK ID, upper-cased, or "".
func attackID(o *stixObject) string {
	for _, r := range o.ExternalReferences {
		if r.SourceName == "mitre-attack" && r.ExternalID != "" {
			return strings.ToUpper(strings.TrimSpace(r.ExternalID))
		}
	}
	return ""
}

// otherNames returns aliases without name and without repeats.
func otherNames(name string, aliases []string) []string {
	var out []string
	for _, a := range aliases {
		if a != "" && a != name && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// build sorts the objects and builds the catalog's indexes.
func (b *builder) build() *Catalog {
	objects := len(b.tactics) + len(b.techniques) + len(b.groups) + len(b.software) + len(b.campaigns)
	c := &Catalog{
		techniques: sortByID(b.techniques, func(t Technique) (string, string, bool) { return t.ID, t.STIXID, t.Revoked || t.Deprecated }),
		groups:     sortByID(b.groups, func(g Group) (string, string, bool) { return g.ID, g.STIXID, g.Revoked || g.Deprecated }),
		software:   sortByID(b.software, func(s Software) (string, string, bool) { return s.ID, s.STIXID, s.Revoked || s.Deprecated }),
		campaigns:  sortByID(b.campaigns, func(m Campaign) (string, string, bool) { return m.ID, m.STIXID, m.Revoked || m.Deprecated }),
		ids:        make(map[idKey]int, objects),
		stixIDs:    make(map[idKey]int, objects),
		tacticKeys: make(map[string]int),
		names:      make(map[string][]node),
		aliases:    make(map[string][]node),
		current:    make(map[node]node),
	}
	c.tactics = b.orderTactics()

	// stix maps STIX ids, as the relationships spell them, to objects.
	stix := make(map[string]node, objects)
	index := func(n node, id, stixID string) {
		if _, ok := c.ids[idKey{n.kind, id}]; !ok {
			c.ids[idKey{n.kind, id}] = n.idx
		}
		if _, ok := stix[stixID]; stixID != "" && !ok {
			stix[stixID] = n
		}
		if k := (idKey{n.kind, strings.ToLower(stixID)}); stixID != "" {
			if _, ok := c.stixIDs[k]; !ok {
				c.stixIDs[k] = n.idx
			}
		}
	}
	named := func(n node, name string, aliases []string) {
		if key := strings.ToLower(name); key != "" {
			c.names[key] = append(c.names[key], n)
		}
		for _, a := range aliases {
			key := strings.ToLower(a)
			c.aliases[key] = append(c.aliases[key], n)
		}
	}
	for i, t := range c.tactics {
		index(node{kindTactic, i}, t.ID, t.STIXID)
		for _, key := range []string{strings.ToLower(t.ShortName), strings.ToLower(t.Name)} {
			if _, ok := c.tacticKeys[key]; key != "" && !ok {
				c.tacticKeys[key] = i
			}
		}
	}
	for i, t := range c.techniques {
		index(node{kindTechnique, i}, t.ID, t.STIXID)
	}
	for i, g := range c.groups {
		index(node{kindGroup, i}, g.ID, g.STIXID)
		named(node{kindGroup, i}, g.Name, g.Aliases)
	}
	for i, s := range c.software {
		index(node{kindSoftware, i}, s.ID, s.STIXID)
		named(node{kindSoftware, i}, s.Name, s.Aliases)
	}
	for i, m := range c.campaigns {
		index(node{kindCampaign, i}, m.ID, m.STIXID)
		named(node{kindCampaign, i}, m.Name, m.Aliases)
	}

	nt, ng, ns, nc := len(c.techniques), len(c.groups), len(c.software), len(c.campaigns)
	c.parent = make([]int, nt)
	for i := range c.parent {
		c.parent[i] = -1
	}
	c.subtechniques = make([][]int, nt)
	c.tacticTechniques = make([][]int, len(c.tactics))
	c.groupTechniques = make([][]int, ng)
	c.groupSoftware = make([][]int, ng)
	c.groupCampaigns = make([][]int, ng)
	c.techniqueGroups = make([][]int, nt)
	c.softwareTech = make([][]int, ns)
	c.campaignTech = make([][]int, nc)
	c.campaignSoftware = make([][]int, nc)

	revokedBy := make(map[node]node)
	campaignGroups := make([][]int, nc)
	for _, r := range b.rels {
		src, ok1 := stix[r.source]
		dst, ok2 := stix[r.target]
		if !ok1 || !ok2 || src == dst {
			continue
		}
		switch {
		case r.typ == "revoked-by" && src.kind == dst.kind:
			if _, ok := revokedBy[src]; !ok {
				revokedBy[src] = dst
			}
		case r.typ == "subtechnique-of" && src.kind == kindTechnique && dst.kind == kindTechnique:
			if c.parent[src.idx] < 0 {
				c.parent[src.idx] = dst.idx
			}
		case r.typ == "attributed-to" && src.kind == kindCampaign && dst.kind == kindGroup:
			campaignGroups[src.idx] = append(campaignGroups[src.idx], dst.idx)
		case r.typ == "uses" && c.active(src) && c.active(dst):
			switch {
			case src.kind == kindGroup && dst.kind == kindTechnique:
				c.groupTechniques[src.idx] = append(c.groupTechniques[src.idx], dst.idx)
			case src.kind == kindGroup && dst.kind == kindSoftware:
				c.groupSoftware[src.idx] = append(c.groupSoftware[src.idx], dst.idx)
			case src.kind == kindCampaign && dst.kind == kindTechnique:
				c.campaignTech[src.idx] = append(c.campaignTech[src.idx], dst.idx)
			case src.kind == kindCampaign && dst.kind == kindSoftware:
				c.campaignSoftware[src.idx] = append(c.campaignSoftware[src.idx], dst.idx)
			case src.kind == kindSoftware && dst.kind == kindTechnique:
				c.softwareTech[src.idx] = append(c.softwareTech[src.idx], dst.idx)
			}
		}
	}

	c.resolveRevocations(revokedBy)
	c.linkParents()
	c.orderTechniqueTactics()

	for m, groups := range campaignGroups {
		groups = sortedSet(groups)
		for _, g := range groups {
			c.campaigns[m].AttributedTo = append(c.campaigns[m].AttributedTo, c.groups[g].ID)
			if c.active(node{kindCampaign, m}) && c.active(node{kindGroup, g}) {
				c.groupCampaigns[g] = append(c.groupCampaigns[g], m)
				c.groupTechniques[g] = append(c.groupTechniques[g], c.campaignTech[m]...)
			}
		}
	}
	for _, lists := range [][][]int{c.groupTechniques, c.groupSoftware, c.groupCampaigns, c.softwareTech, c.campaignTech, c.campaignSoftware} {
		for i := range lists {
			lists[i] = sortedSet(lists[i])
		}
	}
	for g, techniques := range c.groupTechniques {
		if !c.active(node{kindGroup, g}) {
			continue
		}
		for _, t := range techniques {
			c.techniqueGroups[t] = append(c.techniqueGroups[t], g)
		}
	}
	return c
}

// sortByID sorts objects by ATT&CK ID and keeps one per ID: an active one
// if there is one, then the one with the smallest STIX id.
func sortByID[T any](items []T, key func(T) (id, stixID string, inactive bool)) []T {
	slices.SortFunc(items, func(a, b T) int {
		ida, sa, ia := key(a)
		idb, sb, ib := key(b)
		return cmp.Or(strings.Compare(ida, idb), compareBool(ia, ib), strings.Compare(sa, sb))
	})
	return slices.CompactFunc(items, func(a, b T) bool {
		ida, _, _ := key(a)
		idb, _, _ := key(b)
		return ida == idb
	})
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case !a && b:
		return -1
	case a && !b:
		return 1
	}
	return 0
}

// compareRanked orders two keys by their rank, ranked keys first; ok is
// false when neither is ranked.
func compareRanked(rank map[string]int, a, b string) (c int, ok bool) {
	ra, oka := rank[a]
	rb, okb := rank[b]
	switch {
	case oka && okb:
		return cmp.Compare(ra, rb), true
	case oka:
		return -1, true
	case okb:
		return 1, true
	}
	return 0, false
}

// sortedSet sorts s and removes repeats.
func sortedSet(s []int) []int {
	slices.Sort(s)
	return slices.Compact(s)
}

// orderTactics returns the tactics in the order of the matrices' tactic
// references, then those no matrix lists, by ID; one per ID.
func (b *builder) orderTactics() []Tactic {
	tactics := sortByID(b.tactics, func(t Tactic) (string, string, bool) { return t.ID, t.STIXID, false })
	rank := make(map[string]int)
	for i, ref := range b.tacticRefs {
		if _, ok := rank[ref]; !ok {
			rank[ref] = i
		}
	}
	slices.SortStableFunc(tactics, func(a, b Tactic) int {
		c, _ := compareRanked(rank, a.STIXID, b.STIXID)
		return c
	})
	return tactics
}

// resolveRevocations maps every revoked object with a revoked-by
// relationship to the first object along the chain that is not revoked (or
// to the last before a cycle closes).
func (c *Catalog) resolveRevocations(revokedBy map[node]node) {
	revoked := func(n node) bool {
		switch n.kind {
		case kindTechnique:
			return c.techniques[n.idx].Revoked
		case kindGroup:
			return c.groups[n.idx].Revoked
		case kindSoftware:
			return c.software[n.idx].Revoked
		case kindCampaign:
			return c.campaigns[n.idx].Revoked
		}
		return false
	}
	for start := range revokedBy {
		if !revoked(start) {
			continue
		}
		n, seen := start, map[node]bool{start: true}
		for revoked(n) {
			next, ok := revokedBy[n]
			if !ok || seen[next] {
				break
			}
			seen[next] = true
			n = next
		}
		c.current[start] = n
	}
}

// linkParents sets Parent from subtechnique-of relationships, falling back
// to the ID's prefix (T1053.001 → T1053) for a sub-technique without one,
// and lists each active technique's active sub-techniques.
func (c *Catalog) linkParents() {
	for i := range c.techniques {
		t := &c.techniques[i]
		if c.parent[i] < 0 && t.IsSubtechnique {
			if before, _, ok := strings.Cut(t.ID, "."); ok {
				if p, ok := c.ids[idKey{kindTechnique, before}]; ok && p != i {
					c.parent[i] = p
				}
			}
		}
		p := c.parent[i]
		if p < 0 {
			continue
		}
		t.IsSubtechnique = true
		t.Parent = c.techniques[p].ID
		if c.active(node{kindTechnique, i}) && c.active(node{kindTechnique, p}) {
			c.subtechniques[p] = append(c.subtechniques[p], i)
		}
	}
}

// orderTechniqueTactics sorts each technique's tactics in kill-chain order
// (unknown short names last, by name) and lists each tactic's active
// techniques.
func (c *Catalog) orderTechniqueTactics() {
	rank := make(map[string]int, len(c.tactics))
	for i, t := range c.tactics {
		if _, ok := rank[t.ShortName]; !ok {
			rank[t.ShortName] = i
		}
	}
	for i := range c.techniques {
		t := &c.techniques[i]
		slices.SortFunc(t.Tactics, func(a, b string) int {
			if c, ok := compareRanked(rank, a, b); ok {
				return c
			}
			return strings.Compare(a, b)
		})
		if !c.active(node{kindTechnique, i}) {
			continue
		}
		for _, name := range t.Tactics {
			if r, ok := rank[name]; ok {
				c.tacticTechniques[r] = append(c.tacticTechniques[r], i)
			}
		}
	}
}
