package intel_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func TestBuildProfilesMerges(t *testing.T) {
	cat, err := attack.Load()
	if err != nil {
		t.Fatal(err)
	}
	objs := []model.ThreatObject{
		// By ATT&CK id: a galaxy cluster naming G0007.
		{Source: "misp-galaxy:threat-actor", ExternalID: "u-sofacy", Kind: model.ThreatActor, Name: "Sofacy Cluster", AttackIDs: []string{"G0007"},
			Country: "RU", Victims: []string{"Germany"}, Sectors: []string{"Government"}},
		// By alias: a STIX intrusion set called "Fancy Bear".
		{Source: "stix", ExternalID: "intrusion-set--fb", Kind: model.ThreatIntrusionSet, Name: "FANCY-BEAR", Description: "feed text"},
		// A new actor, with the objects its relationships point to.
		{Source: "stix", ExternalID: "intrusion-set--new", Kind: model.ThreatIntrusionSet, Name: "Example Lantern", Aliases: []string{"LANTERN"}},
		{Source: "stix", ExternalID: "attack-pattern--p", Kind: model.ThreatAttackPattern, Name: "Phishing", AttackIDs: []string{"T1566.001"}},
		{Source: "stix", ExternalID: "identity--banks", Kind: model.ThreatIdentity, Name: "Banks", Sectors: []string{"financial-services"}},
		{Source: "stix", ExternalID: "location--fr", Kind: model.ThreatLocation, Name: "FR", Victims: []string{"FR"}},
		// Ransomware that ATT&CK knows as malware.
		{Source: "misp-galaxy:ransomware", ExternalID: "u-wc", Kind: model.ThreatRansomware, Name: "WannaCry", Aliases: []string{"WCry"}},
		// A revoked object is left out.
		{Source: "stix", ExternalID: "intrusion-set--gone", Kind: model.ThreatIntrusionSet, Name: "Gone Group", Revoked: true},
	}
	rels := []model.IntelRelation{
		{Source: "stix", ExternalID: "r1", Type: "uses", From: "intrusion-set--new", To: "attack-pattern--p"},
		{Source: "stix", ExternalID: "r2", Type: "targets", From: "intrusion-set--new", To: "identity--banks"},
		{Source: "stix", ExternalID: "r3", Type: "targets", From: "intrusion-set--new", To: "location--fr"},
		{Source: "stix", ExternalID: "r4", Type: "indicates", From: "indicator--1", To: "intrusion-set--new"},
		{Source: "misp:x", ExternalID: "r5", Type: "indicates", From: "attr-1", To: "name:apt 28"},
	}
	ps := intel.BuildProfiles(cat, objs, rels)
	apt28, ok := ps.Get("g0007")
	if !ok || apt28.Name != "APT28" || apt28.Country != "RU" || !slices.Contains(apt28.Victims, "Germany") || len(apt28.Sources) != 3 ||
		!slices.Contains(apt28.Aliases, "FANCY-BEAR") || !strings.HasPrefix(apt28.Description, "APT28") || len(apt28.Techniques) < 50 {
		t.Fatalf("APT28: %+v", apt28)
	}
	lantern, ok := ps.Find("lantern")
	if !ok || !strings.HasPrefix(lantern.ID, "TP-") || lantern.Kind != intel.KindActor || !slices.Equal(lantern.Techniques, []string{"T1566.001"}) ||
		!slices.Equal(lantern.Sectors, []string{"financial-services"}) || !slices.Equal(lantern.Victims, []string{"FR"}) {
		t.Fatalf("new actor: %+v", lantern)
	}
	if got := ps.ForIndicator("indicator--1"); len(got) != 1 || got[0] != lantern {
		t.Errorf("indicator--1 indicates %v", got)
	}
	if got := ps.ForIndicator("attr-1"); len(got) != 1 || got[0] != apt28 {
		t.Errorf("attr-1 indicates %v", got)
	}
	wc, ok := ps.Find("wcry")
	if !ok || wc.Kind != intel.KindRansomware || !strings.HasPrefix(wc.ID, "S") {
		t.Errorf("WannaCry: %+v", wc)
	}
	if _, ok := ps.Find("Gone Group"); ok {
		t.Error("revoked object made a profile")
	}
	// The same inputs build the same ids.
	again := intel.BuildProfiles(cat, objs, rels)
	if p, _ := again.Find("lantern"); p.ID != lantern.ID {
		t.Errorf("profile id changed: %s → %s", lantern.ID, p.ID)
	}
}

// TestActivityScores: indicators that matched alerts and techniques seen
// in alerts raise a profile's score, with hand-computed points.
func TestActivityScores(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	// A new actor using two techniques (T1566.001 and T1059), one seen in
	// alerts; its indicator matched three alerts.
	batch := &store.IntelBatch{
		Threats: []model.ThreatObject{
			{Source: "stix", ExternalID: "intrusion-set--a", Kind: model.ThreatIntrusionSet, Name: "Example Actor"},
			{Source: "stix", ExternalID: "attack-pattern--1", Kind: model.ThreatAttackPattern, Name: "Spearphishing", AttackIDs: []string{"T1566.001"}},
			{Source: "stix", ExternalID: "attack-pattern--2", Kind: model.ThreatAttackPattern, Name: "Command interpreter", AttackIDs: []string{"T1059"}},
		},
		Indicators: []model.Indicator{indicator("indicator--x", observable.Domain, "c2.example")},
		Relations: []model.IntelRelation{
			{Source: "stix", ExternalID: "r1", Type: "uses", From: "intrusion-set--a", To: "attack-pattern--1"},
			{Source: "stix", ExternalID: "r2", Type: "uses", From: "intrusion-set--a", To: "attack-pattern--2"},
			{Source: "stix", ExternalID: "r3", Type: "indicates", From: "indicator--x", To: "intrusion-set--a"},
		},
	}
	if _, err := st.ApplyIntel(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var alerts []model.Alert
	for i, id := range []string{"B1", "B2", "B3"} {
		a := alert(id, now.Add(-time.Duration(i+1)*time.Hour), ent("domain", "c2.example"))
		a.Techniques = []string{"T1566.002"}
		alerts = append(alerts, a)
	}
	if _, err := st.Apply(ctx, &store.Batch{Alerts: alerts}); err != nil {
		t.Fatal(err)
	}
	if err := (&intel.Matcher{Store: st, Now: func() time.Time { return now }}).MatchAlerts(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	svc := &intel.Service{Store: st, Now: func() time.Time { return now }}
	if _, err := svc.SetOrgProfile(ctx, intel.OrgProfile{Platforms: []string{"windows"}}); err != nil {
		t.Fatal(err)
	}
	p, pos, err := svc.Profile(ctx, "Example Actor", 30)
	if err != nil {
		t.Fatal(err)
	}
	// indicators 15 + 3 alerts; techniques 15 × 1/2 = 7.5; platforms: both
	// techniques run on Windows, 5 × 2/2 = 5. Total 30.5.
	want := []intel.Reason{
		{Factor: "indicators", Points: 18, Text: "1 of its indicators matched 3 alerts in the last 30 days (last 2026-03-01 11:00 UTC)"},
		{Factor: "techniques", Points: 7.5, Text: "1 of its 2 techniques was seen in the organisation's alerts in the last 30 days: T1566"},
		{Factor: "platforms", Points: 5, Text: "2 of its 2 techniques run on the organisation's platforms (Windows)"},
	}
	if pos != 1 || p.Score != 30.5 || !slices.Equal(p.Reasons, want) || p.MatchedAlerts != 3 || p.Seen[0].Alerts != 3 {
		t.Fatalf("rank %d, score %v, reasons %+v", pos, p.Score, p.Reasons)
	}
	if _, err := svc.SetOrgProfile(ctx, intel.OrgProfile{Platforms: []string{"Amiga"}}); err == nil || !strings.Contains(err.Error(), "not an ATT&CK platform") {
		t.Errorf("unknown platform: %v", err)
	}
	if _, err := svc.SetOrgProfile(ctx, intel.OrgProfile{Regions: []string{"Atlantis"}}); err == nil {
		t.Error("unknown region accepted")
	}
}
