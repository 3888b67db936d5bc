package intel

import (
	"sort"
	"strings"
)

// sectorNames maps the names feeds and people give sectors (lower case,
// as MISP galaxies, STIX industry sectors and CFR categories write them)
// onto canonical sectors.
var sectorNames = map[string][]string{
	"government": {"government", "governments", "government administration", "government, administration", "administration",
		"government institutions", "government agencies and services", "public sector", "government-national",
		"government-regional", "government-local", "government-public-services", "public administration", "intergovernmental"},
	"diplomacy":          {"diplomacy", "diplomatic", "embassies", "foreign affairs"},
	"military":           {"military", "armed forces", "security service", "intelligence"},
	"defense":            {"defense", "defence", "defense industrial base", "defense contractor", "defence industry"},
	"finance":            {"finance", "financial", "financial services", "financial-services", "bank", "banks", "banking", "investment", "payment", "payments", "fintech", "cryptocurrency", "insurance"},
	"energy":             {"energy", "energy company", "oil", "gas", "oil and gas", "petroleum", "electric", "electricity", "utilities", "nuclear", "power", "mining"},
	"healthcare":         {"healthcare", "health", "medical", "hospitals", "biomedical", "pharmaceuticals", "pharmaceutical", "pharma", "pharmacy", "life sciences", "covid-19 research organizations"},
	"telecommunications": {"telecommunications", "telecoms", "telecomms", "telecom", "telco", "communications"},
	"technology":         {"technology", "high-tech", "high tech", "information technology", "it", "software", "electronic", "electronics", "semiconductor industry", "semiconductors", "tech"},
	"education":          {"education", "academia", "academia - university", "universities", "university", "research - innovation", "scientific research", "research"},
	"media":              {"media", "news - media", "news", "journalist", "journalists", "media and entertainment", "entertainment", "broadcasting"},
	"manufacturing":      {"manufacturing", "industrial", "critical manufacturing", "automotive", "electronics manufacturers", "chemical", "engineering", "civil engineering", "construction"},
	"transportation":     {"transportation", "transportation systems", "logistics", "maritime", "shipping", "rail", "airlines", "aviation"},
	"aerospace":          {"aerospace", "space", "satellite"},
	"retail":             {"retail", "e-commerce", "ecommerce", "consumer goods", "food and agriculture", "agriculture", "trade"},
	"hospitality":        {"hospitality", "hospitality-leisure", "travel", "tourism", "hotels", "gaming", "gambling companies", "gambling websites"},
	"legal":              {"legal", "law firms", "justice"},
	"civil-society":      {"civil society", "ngos", "ngo", "non-profit", "non-profit organisation", "non-profit organization", "think tanks", "activists", "dissident", "dissidents", "opposition", "political party", "religious organization", "religious organizations", "pro-democracy and human rights political organizations", "separatists"},
	"infrastructure":     {"infrastructure", "critical infrastructure", "water", "dams"},
}

// broadSectors are categories that include many sectors: an adversary
// targeting "the private sector" targets any business, but says less
// about this organisation than a named sector does.
var broadSectors = map[string]string{"private sector": "private sector", "business": "private sector", "commercial": "private sector",
	"services": "private sector", "private sector offensive actor": "", "individuals": "", "other": "", "country": ""}

var sectorIndex = map[string]string{}

func init() {
	for canon, names := range sectorNames {
		sectorIndex[canon] = canon
		for _, n := range names {
			sectorIndex[n] = canon
		}
	}
}

// CanonicalSector maps a sector name onto its canonical sector; ok is false
// for names the vocabulary does not know, which are kept lower-cased.
func CanonicalSector(name string) (string, bool) {
	n := strings.ToLower(strings.Join(strings.Fields(name), " "))
	if c, ok := sectorIndex[n]; ok {
		return c, true
	}
	return n, false
}

// Sectors lists the canonical sectors, sorted.
func Sectors() []string {
	out := make([]string, 0, len(sectorNames))
	for s := range sectorNames {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// broadSector reports the broad category a sector name stands for, if any.
func broadSector(name string) string {
	return broadSectors[strings.ToLower(strings.Join(strings.Fields(name), " "))]
}
