package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
)

// IntelSource is the source of the demo's threat-intelligence feed: a
// small, clearly synthetic feed about synthetic adversaries, so the
// intelligence views have data out of the box. Nothing in it describes a
// real actor or a real indicator: its addresses, domains and e-mail
// addresses are documentation ranges and .example/.invalid names, its
// hashes random.
const IntelSource = "demo-intel (synthetic)"

// The demo organisation's profile, set with the demo when none is: a
// European financial firm on Windows, Linux and cloud platforms.
var (
	OrgSectors   = []string{"finance"}
	OrgRegions   = []string{"Germany", "France"}
	OrgPlatforms = []string{"Windows", "Linux", "IaaS", "SaaS", "Office Suite"}
)

// demoActor is a synthetic adversary of the demo feed.
type demoActor struct {
	name       string
	sectors    []string
	victims    []string
	motivation string
	// ruleKinds are the kinds of demo rules whose techniques it uses.
	ruleKinds []entityKind
}

var demoActors = []demoActor{
	{"DEMO Lantern Spider (synthetic)", []string{"Financial services", "Banking"}, []string{"DE", "FR", "NL"}, "financial-gain",
		[]entityKind{kindNetwork, kindEndpoint, kindEmail}},
	{"DEMO Quartz Heron (synthetic)", []string{"Healthcare"}, []string{"JP", "KR"}, "espionage", []entityKind{kindDomain, kindIdentity}},
	{"DEMO Copper Falcon (synthetic)", []string{"Government"}, []string{"Europe"}, "espionage", []entityKind{kindCloud, kindEmail}},
}

// GenerateIntel streams the demo's synthetic threat-intelligence feed for
// cfg (defaults applied) to emit: three synthetic intrusion sets with the
// sectors and places they target and the techniques of the demo's rules
// they use, and indicators on values of the demo estate's traffic (so
// alerts match them) and on values no alert carries, among them an
// expired, a revoked and a context-only indicator. The same seed and end
// give the same feed.
func GenerateIntel(ctx context.Context, cfg Config, emit record.Emit) error {
	s, err := newSim(cfg)
	if err != nil {
		return err
	}
	cfg = s.cfg
	golden := uint64(0x9e3779b97f4a7c15)
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), golden*6)) // stream 6, beside the simulation's 1–5
	uuid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
	}
	published := cfg.End.Add(-120 * 24 * time.Hour).UTC()
	out := func(r record.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.Loc = "demo-intel:" + r.Loc
		return emit(r)
	}
	rel := func(typ, from, to string) error {
		id := "relationship--" + uuid()
		return out(record.Record{Loc: id, Relation: &model.IntelRelation{Source: IntelSource, ExternalID: id, Type: typ, From: from, To: to, Modified: published}})
	}
	var actorIDs []string
	patterns := map[string]string{} // technique → attack pattern id
	for _, a := range demoActors {
		id := "intrusion-set--" + uuid()
		actorIDs = append(actorIDs, id)
		t := &model.ThreatObject{Source: IntelSource, ExternalID: id, Kind: model.ThreatIntrusionSet, Name: a.name, Aliases: []string{a.name[5:]},
			Description: "Synthetic adversary of the Watchfloor demo; it does not exist.", Motivation: a.motivation, Modified: published,
			FirstSeen: published.Add(-365 * 24 * time.Hour)}
		if err := out(record.Record{Loc: id, Threat: t}); err != nil {
			return err
		}
		ident := "identity--" + uuid()
		if err := out(record.Record{Loc: ident, Threat: &model.ThreatObject{Source: IntelSource, ExternalID: ident, Kind: model.ThreatIdentity,
			Name: a.name[5:] + " victims (synthetic)", Sectors: a.sectors, Modified: published}}); err != nil {
			return err
		}
		if err := rel("targets", id, ident); err != nil {
			return err
		}
		for _, v := range a.victims {
			loc := "location--" + uuid()
			if err := out(record.Record{Loc: loc, Threat: &model.ThreatObject{Source: IntelSource, ExternalID: loc, Kind: model.ThreatLocation,
				Name: v, Victims: []string{v}, Modified: published}}); err != nil {
				return err
			}
			if err := rel("targets", id, loc); err != nil {
				return err
			}
		}
		for _, r := range s.rules {
			if !containsKind(a.ruleKinds, r.spec.kind) {
				continue
			}
			for _, tech := range r.techniques {
				ap, ok := patterns[tech]
				if !ok {
					ap = "attack-pattern--" + uuid()
					patterns[tech] = ap
					if err := out(record.Record{Loc: ap, Threat: &model.ThreatObject{Source: IntelSource, ExternalID: ap, Kind: model.ThreatAttackPattern,
						Name: tech, AttackIDs: []string{tech}, Modified: published}}); err != nil {
						return err
					}
				}
				if err := rel("uses", id, ap); err != nil {
					return err
				}
			}
		}
	}
	inv := s.inv
	type spec struct {
		kind, value string
		actor       int
		conf        int
		tlp         string
		tweak       func(*model.Indicator)
	}
	var specs []spec
	// Values the demo's alerts carry.
	for i := range 6 {
		specs = append(specs, spec{"ip", inv.extIPs[rng.IntN(len(inv.extIPs))], 0, 60 + 5*i, "amber", nil})
	}
	specs = append(specs, spec{"cidr", "198.51.100.240/30", 1, 50, "green", nil})
	for i := range 3 {
		specs = append(specs, spec{"domain", inv.domains[rng.IntN(len(inv.domains))], 1, 70 + 5*i, "green", nil})
		specs = append(specs, spec{"sha256", inv.hashes[rng.IntN(len(inv.hashes))], 0, 85, "amber", nil})
	}
	specs = append(specs, spec{"email", inv.senders[rng.IntN(len(inv.senders))], 2, 75, "clear", nil})
	// Values no alert carries, and indicators that must not match.
	for i := range 8 {
		specs = append(specs, spec{"ip", fmt.Sprintf("233.252.0.%d", 1+rng.IntN(250)), i % 3, 40, "green", nil})
	}
	specs = append(specs,
		spec{"domain", fmt.Sprintf("c2-%03d.demo.invalid", rng.IntN(1000)), 0, 80, "amber", nil},
		spec{"url", fmt.Sprintf("http://dl-%03d.demo.invalid/payload.bin", rng.IntN(1000)), 0, 80, "amber", nil},
		spec{"ip", inv.extIPs[rng.IntN(len(inv.extIPs))], 2, 30, "green", func(in *model.Indicator) {
			in.ValidUntil, in.Name = cfg.End.Add(-time.Duration(cfg.Days+1)*24*time.Hour), "Expired synthetic indicator"
		}},
		spec{"domain", inv.domains[rng.IntN(len(inv.domains))], 1, 30, "green", func(in *model.Indicator) {
			in.Revoked, in.Name = true, "Revoked synthetic indicator (false positive)"
		}},
		spec{"domain", inv.domains[rng.IntN(len(inv.domains))], 1, model.ConfidenceUnknown, "clear", func(in *model.Indicator) {
			in.Detect, in.Name = false, "Context only (not for detection)"
		}},
	)
	for i, sp := range specs {
		id := "indicator--" + uuid()
		o, err := observable.Normalize(observable.Kind(sp.kind), sp.value)
		if err != nil {
			return fmt.Errorf("demo indicator %s: %w", sp.value, err)
		}
		in := &model.Indicator{Source: IntelSource, ExternalID: id, Type: string(o.Kind), Value: sp.value,
			Pattern:     fmt.Sprintf("[%s = '%s']", stixPath[sp.kind], sp.value),
			Observables: []model.IndicatorObservable{{Kind: string(o.Kind), Value: o.Value}}, Name: fmt.Sprintf("Synthetic indicator %d of %s", i+1, demoActors[sp.actor].name),
			Description: "Synthetic demo data; not a real indicator.", Labels: []string{"malicious-activity", "synthetic"},
			Confidence: sp.conf, TLP: sp.tlp, ValidFrom: published, Detect: true, Modified: published}
		if sp.tweak != nil {
			sp.tweak(in)
		}
		if err := out(record.Record{Loc: id, Indicator: in}); err != nil {
			return err
		}
		if err := rel("indicates", id, actorIDs[sp.actor]); err != nil {
			return err
		}
	}
	return nil
}

// stixPath is the STIX object path each demo indicator's pattern names.
var stixPath = map[string]string{"ip": "ipv4-addr:value", "cidr": "ipv4-addr:value", "domain": "domain-name:value",
	"url": "url:value", "email": "email-addr:value", "sha256": "file:hashes.'SHA-256'"}

func containsKind(ks []entityKind, k entityKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
