package ocsf

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/watchfloor/watchfloor/internal/model"
)

// maxSlug bounds the product part of a source name; product names are
// producer-controlled text.
const maxSlug = 64

// sourceName builds the item's Source from metadata (see the package doc).
func sourceName(meta object) string {
	p := meta.obj("product")
	vendor, product := slug(p.str("vendor_name")), slug(p.str("name"))
	var s string
	switch {
	case vendor == "" || product == vendor || strings.HasPrefix(product, vendor+"-"):
		s = product
	case product == "":
		s = vendor
	default:
		s = vendor + "-" + product
	}
	if s == "" {
		s = slug(meta.str("log_provider"))
	}
	if s == "" {
		return "ocsf"
	}
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	return "ocsf:" + s
}

// slug lower-cases s and turns each run of characters other than letters
// and digits into one "-".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// severityOf maps severity_id, falling back to the severity caption when the
// id is absent, Unknown (0) or Other (99).
func severityOf(o object) model.Severity {
	if id, ok := o.int("severity_id"); ok {
		if s := model.SeverityFromOCSF(int(id)); s != model.SeverityUnknown {
			return s
		}
	}
	s, _ := model.ParseSeverity(o.str("severity"))
	return s
}

// Status captions by status_id: findings (2002–2004), the 2001 state_id,
// and incidents (2005).
var (
	findingStatuses  = map[int64]string{1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 5: "Archived", 6: "Deleted"}
	incidentStatuses = map[int64]string{1: "New", 2: "In Progress", 3: "On Hold", 4: "Resolved", 5: "Closed"}
)

// statusOf returns the caption under key, else the caption of key+"_id".
func statusOf(o object, key string, captions map[int64]string) string {
	if s := o.str(key); s != "" {
		return s
	}
	id, _ := o.int(key + "_id")
	return captions[id]
}

// verdicts maps OCSF verdict_id values onto the disposition taxonomy.
// Disregard ("unimportant, an error or accident") and Benign are benign true
// positives; Suspicious and Insufficient Data are inconclusive; Security
// Risk is a true positive; Managed Externally is no verdict here.
var verdicts = map[int64]model.Disposition{
	1:  model.DispositionFalsePositive,
	2:  model.DispositionTruePositive,
	3:  model.DispositionBenignPositive,
	4:  model.DispositionInconclusive,
	5:  model.DispositionBenignPositive,
	6:  model.DispositionTest,
	7:  model.DispositionInconclusive,
	8:  model.DispositionTruePositive,
	9:  model.DispositionNone,
	10: model.DispositionDuplicate,
}

// verdictIDs maps the verdict_id captions, for records with only the
// caption.
var verdictIDs = map[string]int64{
	"false positive": 1, "true positive": 2, "disregard": 3, "suspicious": 4, "benign": 5,
	"test": 6, "insufficient data": 7, "security risk": 8, "managed externally": 9, "duplicate": 10,
}

// dispositionOf reads verdict_id / verdict. The OCSF disposition and
// disposition_id attributes are deliberately not read: they say what a
// control did ("Blocked", "Allowed"), not whether the finding was true.
func dispositionOf(o object) model.Disposition {
	if id, ok := o.int("verdict_id"); ok {
		if d, ok := verdicts[id]; ok {
			return d
		}
	}
	v := strings.ToLower(o.str("verdict"))
	if id, ok := verdictIDs[v]; ok {
		return verdicts[id]
	}
	d, err := model.ParseDisposition(v)
	if err != nil {
		return model.DispositionNone
	}
	return d
}

// techniqueRE matches ATT&CK technique and sub-technique ids.
var techniqueRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// techniques collects the technique and sub-technique ids of the attacks
// arrays of the given objects, in order, without repeats.
func techniques(objs ...object) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		id = strings.ToUpper(id)
		if techniqueRE.MatchString(id) && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, o := range objs {
		for _, a := range o.objects("attacks") {
			add(a.obj("technique").str("uid"))
			add(a.obj("sub_technique").str("uid"))
		}
	}
	return out
}

// entitySet collects entities without repeating a type and value.
type entitySet struct {
	list []model.Entity
	seen map[[2]string]bool
}

func (s *entitySet) add(typ, value, role string) {
	value = strings.TrimSpace(value)
	if value == "" || typ == "" {
		return
	}
	k := [2]string{typ, value}
	if s.seen == nil {
		s.seen = map[[2]string]bool{}
	}
	if s.seen[k] {
		return
	}
	s.seen[k] = true
	s.list = append(s.list, model.Entity{Type: typ, Value: value, Role: role})
}

func (s *entitySet) endpoint(e object, role string) {
	s.add("ip", e.str("ip"), role)
	s.add("host", e.str("hostname"), role)
}

func (s *entitySet) user(u object, role string) {
	s.add("user", firstNonEmpty(u.str("name"), u.str("uid"), u.str("email_addr")), role)
}

// resource adds an affected resource by uid, else name.
func (s *entitySet) resource(r object) {
	s.add("resource", firstNonEmpty(r.str("uid"), r.str("name")), "target")
}

// context adds what the endpoints, actor and device of o name.
func (s *entitySet) context(o object) {
	s.endpoint(o.obj("src_endpoint"), "src")
	s.endpoint(o.obj("dst_endpoint"), "dst")
	s.user(o.obj("actor").obj("user"), "actor")
	s.endpoint(o.obj("device"), "target")
}

// observableTypes maps observable type_id values onto entity types. Other
// known ids take the snake-cased type caption; Unknown (0) and Other (99)
// observables carry source fields rather than entities (QRadar log source
// ids, categories) and are left out.
var observableTypes = map[int64]string{
	1: "host", 2: "ip", 3: "mac", 4: "user", 5: "email", 6: "url", 7: "file", 8: "hash",
	9: "process", 10: "resource", 11: "port", 12: "subnet", 13: "command_line", 14: "country",
	15: "process_id", 16: "user_agent", 17: "cwe", 18: "cve", 20: "endpoint", 21: "user",
	22: "email", 23: "url", 24: "file", 25: "process", 27: "container", 28: "registry_key",
	29: "registry_value", 30: "hash", 31: "user",
}

func (s *entitySet) observable(ob object) {
	id, ok := ob.int("type_id")
	typ := observableTypes[id]
	if typ == "" {
		caption := ob.str("type")
		if (ok && (id == 0 || id == 99)) || strings.EqualFold(caption, "other") || strings.EqualFold(caption, "unknown") {
			return
		}
		typ = strings.ReplaceAll(slug(caption), "-", "_")
	}
	s.add(typ, ob.str("value"), roleOf(ob.str("name")))
}

// roleOf guesses an entity's role from the observable's name, which is the
// path of the attribute it was taken from ("evidences[].src_endpoint.ip")
// or, for some producers, a source field name ("source_address").
func roleOf(path string) string {
	for _, w := range strings.FieldsFunc(strings.ToLower(path), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		switch w {
		case "src", "source":
			return "src"
		case "dst", "destination":
			return "dst"
		case "actor":
			return "actor"
		case "resource", "resources", "device":
			return "target"
		}
	}
	return ""
}

// entitiesOf collects a finding's entities: affected resources, the
// endpoints, actor and device of its evidences and of the record itself,
// then its observables.
func entitiesOf(o object) []model.Entity {
	var s entitySet
	for _, r := range o.objects("resources") {
		s.resource(r)
	}
	if r := o.obj("resource"); r != nil {
		s.resource(r)
	}
	for _, e := range o.objects("evidences") {
		s.context(e)
	}
	s.context(o)
	for _, ob := range o.objects("observables") {
		s.observable(ob)
	}
	return s.list
}

// vocabulary rejects captions that map to nothing when their id is absent
// ("severity": "banana" with no severity_id): such a record would be
// stored without the severity, priority or verdict its source meant.
// "Other" and "Unknown" are OCSF's own captions for no value.
func vocabulary(o object, class int64) error {
	none := func(s string) bool {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "", "other", "unknown":
			return true
		}
		return false
	}
	if _, ok := o.int("severity_id"); !ok && !none(o.str("severity")) {
		if _, err := model.ParseSeverity(o.str("severity")); err != nil {
			return fmt.Errorf("severity: %w", err)
		}
	}
	if class == classIncidentFinding {
		if _, ok := o.int("priority_id"); !ok && !none(o.str("priority")) {
			if _, err := model.ParsePriority(o.str("priority")); err != nil {
				return fmt.Errorf("priority: %w", err)
			}
		}
	}
	if _, ok := o.int("verdict_id"); !ok && !none(o.str("verdict")) {
		v := strings.ToLower(o.str("verdict"))
		if _, ok := verdictIDs[v]; !ok {
			if _, err := model.ParseDisposition(v); err != nil {
				return fmt.Errorf("verdict: unknown verdict %q", o.str("verdict"))
			}
		}
	}
	return nil
}
