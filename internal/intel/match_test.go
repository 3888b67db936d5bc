package intel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// indicator builds an indicator of one value, normalised as a parser would.
func indicator(id string, kind observable.Kind, value string, opts ...func(*model.Indicator)) model.Indicator {
	o, err := observable.Normalize(kind, value)
	if err != nil {
		panic(err)
	}
	in := model.Indicator{Source: "test-feed", ExternalID: id, Type: string(o.Kind), Value: value, Detect: true, Confidence: 70,
		Observables: []model.IndicatorObservable{{Kind: string(o.Kind), Value: o.Value}}, Modified: now.Add(-48 * time.Hour)}
	for _, f := range opts {
		f(&in)
	}
	return in
}

func alert(id string, created time.Time, ents ...model.Entity) model.Alert {
	return model.Alert{Source: "edr", ExternalID: id, Title: "alert " + id, Severity: model.SeverityHigh, CreatedAt: created,
		OccurredAt: created.Add(-time.Minute), Entities: ents}
}

func ent(typ, value string) model.Entity { return model.Entity{Type: typ, Value: value} }

// matchesOf lists "indicator external id → alert external id (observable)"
// for every stored match, sorted.
func matchesOf(t *testing.T, st *store.Store) []string {
	t.Helper()
	ms, _, err := st.IntelMatches(context.Background(), store.MatchQuery{Limit: 1000, Detail: 100, IncludeRevoked: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		keys, err := st.AlertKeys(context.Background(), m.AlertIDs)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range m.AlertIDs {
			out = append(out, m.Indicator.ExternalID+" → "+keys[id][1])
		}
	}
	slices.Sort(out)
	return out
}

func TestMatching(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		// Alerts stored before any indicator arrives.
		old := []model.Alert{
			alert("A1", now.Add(-10*24*time.Hour), ent("domain", "WWW.Evil.Example."), ent("host", "WS-0001"), ent("user", "alice")),
			alert("A2", now.Add(-9*24*time.Hour), ent("ip", "203.0.113.77"), ent("hostname", "srv-db-01")),
			alert("A3", now.Add(-8*24*time.Hour), ent("url", "HTTP://Bücher.example:80/Payload.exe#x")),
			alert("A4", now.Add(-7*24*time.Hour), ent("sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")),
			alert("A5", now.Add(-6*24*time.Hour), ent("email", "Billing@Phish.Example")),
			alert("A6", now.Add(-5*24*time.Hour), ent("ip", "198.51.100.9"), ent("domain", "expired.example"), ent("domain", "revoked.example"), ent("domain", "context.example")),
			alert("A7", now.Add(-200*24*time.Hour), ent("domain", "evil.example")), // older than the hunt's 90 days
			alert("A8", now.Add(-4*24*time.Hour), ent("md5", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")),
		}
		if _, err := st.Apply(ctx, &store.Batch{Alerts: old}); err != nil {
			t.Fatal(err)
		}
		inds := []model.Indicator{
			indicator("i-domain", observable.Domain, "evil[.]example"),
			indicator("i-cidr", observable.CIDR, "203.0.113.0/24"),
			indicator("i-url", observable.URL, "hxxp://xn--bcher-kva[.]example/Payload.exe"),
			indicator("i-sha256", observable.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
			indicator("i-email-domain", observable.Domain, "phish.example"),
			indicator("i-expired", observable.Domain, "expired.example", func(in *model.Indicator) { in.ValidUntil = now.Add(-time.Hour) }),
			indicator("i-revoked", observable.Domain, "revoked.example", func(in *model.Indicator) { in.Revoked = true }),
			indicator("i-context", observable.Domain, "context.example", func(in *model.Indicator) { in.Detect = false }),
			indicator("i-nomatch", observable.IP, "192.0.2.200"),
		}
		res, err := st.ApplyIntel(ctx, &store.IntelBatch{Indicators: inds})
		if err != nil || res.Inserted[store.KindIndicator] != len(inds) {
			t.Fatalf("ApplyIntel: %+v, %v", res, err)
		}
		// The retro-hunt finds the indicators in alerts stored before they arrived.
		hr, err := intel.RetroHunt(ctx, st, 90, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"i-cidr → A2", "i-domain → A1", "i-email-domain → A5", "i-sha256 → A4", "i-url → A3"}
		if got := matchesOf(t, st); !slices.Equal(got, want) {
			t.Fatalf("after the hunt:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if hr.Indicators != len(inds) || hr.Keys != 6 || hr.Alerts != 7 || hr.Matches != len(want) {
			t.Errorf("hunt result %+v", hr)
		}
		// A second hunt has nothing to do; a repeated store changes nothing.
		if hr2, err := intel.RetroHunt(ctx, st, 90, now); err != nil || hr2.Indicators != 0 || hr2.Matches != 0 {
			t.Errorf("second hunt: %+v, %v", hr2, err)
		}
		// New alerts are matched as ingest stores them.
		m := &intel.Matcher{Store: st, Now: func() time.Time { return now }}
		input := ""
		for i, e := range []model.Entity{ent("domain", "cdn.EVIL.example"), ent("ip", "203.0.113.1"), ent("domain", "revoked.example"),
			ent("domain", "expired.example"), ent("ip", "192.0.2.1")} {
			input += fmt.Sprintf(`{"record":"alert","source":"edr","external_id":"N%d","title":"new","created_at":"%s","entities":[{"type":%q,"value":%q},{"type":"user","value":"bob"}]}`+"\n",
				i+1, now.Add(-time.Hour).Format(time.RFC3339), e.Type, e.Value)
		}
		if _, err := ingest.Run(ctx, st, strings.NewReader(input), "new.ndjson", ingest.Options{Matcher: m}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "i-cidr → N2", "i-domain → N1")
		slices.Sort(want)
		if got := matchesOf(t, st); !slices.Equal(got, want) {
			t.Fatalf("after ingest:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The stored match carries the observable as the alert had it, the
		// asset beside it and the alert's times.
		ms, total, err := st.IntelMatches(ctx, store.MatchQuery{Since: now.Add(-2 * time.Hour), Limit: 10})
		if err != nil || total != 2 || len(ms) != 2 {
			t.Fatalf("last two hours: %d %+v %v", total, ms, err)
		}
		for _, im := range ms {
			if im.Indicator.ExternalID == "i-domain" && (im.Observables[0] != "cdn.EVIL.example" || im.Assets[0] != (model.Entity{Type: "user", Value: "bob"}) ||
				!im.LastSeen.Equal(now.Add(-time.Hour)) || im.Alerts != 1 || im.RetroHunt) {
				t.Errorf("i-domain match: %+v", im)
			}
		}
		// Revoking an indicator (a newer version) stops it matching.
		rev := indicator("i-cidr", observable.CIDR, "203.0.113.0/24", func(in *model.Indicator) { in.Revoked = true; in.Modified = now })
		if _, err := st.ApplyIntel(ctx, &store.IntelBatch{Indicators: []model.Indicator{rev}}); err != nil {
			t.Fatal(err)
		}
		if err := m.MatchAlerts(ctx, []model.Alert{alert("A2", now.Add(-9*24*time.Hour), ent("ip", "203.0.113.5"))}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(ctx, &store.Batch{Alerts: []model.Alert{alert("R1", now, ent("ip", "203.0.113.5"))}}); err != nil {
			t.Fatal(err)
		}
		if err := m.MatchAlerts(ctx, []model.Alert{alert("R1", now, ent("ip", "203.0.113.5"))}); err != nil {
			t.Fatal(err)
		}
		if got := matchesOf(t, st); slices.Contains(got, "i-cidr → R1") {
			t.Errorf("a revoked indicator matched: %v", got)
		}
		// The revoked indicator's matches leave the default list.
		ms, _, _ = st.IntelMatches(ctx, store.MatchQuery{Limit: 100})
		for _, im := range ms {
			if im.Indicator.ExternalID == "i-cidr" {
				t.Errorf("revoked indicator listed: %+v", im)
			}
		}
	})
}

// TestExpiryAfterLoad: an indicator that expires after the matcher loaded
// its index stops matching without a reload.
func TestExpiryAfterLoad(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	in := indicator("i1", observable.Domain, "soon.example", func(in *model.Indicator) { in.ValidUntil = now.Add(time.Hour) })
	if _, err := st.ApplyIntel(ctx, &store.IntelBatch{Indicators: []model.Indicator{in}}); err != nil {
		t.Fatal(err)
	}
	clock := now
	m := &intel.Matcher{Store: st, Now: func() time.Time { return clock }}
	a1 := alert("E1", now, ent("domain", "soon.example"))
	a2 := alert("E2", now.Add(2*time.Hour), ent("domain", "soon.example"))
	if _, err := st.Apply(ctx, &store.Batch{Alerts: []model.Alert{a1, a2}}); err != nil {
		t.Fatal(err)
	}
	if err := m.MatchAlerts(ctx, []model.Alert{a1}); err != nil {
		t.Fatal(err)
	}
	clock = now.Add(2 * time.Hour)
	if err := m.MatchAlerts(ctx, []model.Alert{a2}); err != nil {
		t.Fatal(err)
	}
	if got := matchesOf(t, st); !slices.Equal(got, []string{"i1 → E1"}) {
		t.Fatalf("matches %v, want only the one before expiry", got)
	}
}

// TestReingestIdempotent: the same indicators twice change nothing; an
// older version is ignored; a newer one replaces the stored one and, with
// new values, is hunted again.
func TestReingestIdempotent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		b := &store.IntelBatch{
			Indicators: []model.Indicator{indicator("i1", observable.Domain, "a.example"), indicator("i2", observable.IP, "192.0.2.1")},
			Threats:    []model.ThreatObject{{Source: "test-feed", ExternalID: "intrusion-set--1", Kind: model.ThreatIntrusionSet, Name: "Example"}},
			Relations:  []model.IntelRelation{{Source: "test-feed", ExternalID: "relationship--1", Type: "indicates", From: "i1", To: "intrusion-set--1"}},
		}
		if _, err := st.ApplyIntel(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := intel.RetroHunt(ctx, st, 90, now); err != nil {
			t.Fatal(err)
		}
		fp, _ := st.Fingerprint(ctx)
		v, _ := st.IntelVersions(ctx)
		res, err := st.ApplyIntel(ctx, b)
		changed := 0
		for _, k := range []store.Kind{store.KindIndicator, store.KindThreat, store.KindRelation} {
			changed += res.Inserted[k] + res.Updated[k]
		}
		if err != nil || res.Unchanged[store.KindIndicator] != 2 || res.Unchanged[store.KindThreat] != 1 || res.Unchanged[store.KindRelation] != 1 || changed != 0 {
			t.Fatalf("second apply: %+v, %v", res, err)
		}
		fp2, _ := st.Fingerprint(ctx)
		v2, _ := st.IntelVersions(ctx)
		if fp != fp2 || v != v2 {
			t.Fatalf("re-ingest changed the store: %s → %s, versions %+v → %+v", fp, fp2, v, v2)
		}
		older := indicator("i1", observable.Domain, "old.example", func(in *model.Indicator) { in.Modified = now.Add(-96 * time.Hour) })
		res, _ = st.ApplyIntel(ctx, &store.IntelBatch{Indicators: []model.Indicator{older}})
		if res.Unchanged[store.KindIndicator] != 1 {
			t.Fatalf("older version: %+v", res)
		}
		newer := indicator("i1", observable.Domain, "new.example", func(in *model.Indicator) { in.Modified = now })
		res, _ = st.ApplyIntel(ctx, &store.IntelBatch{Indicators: []model.Indicator{newer}})
		if res.Updated[store.KindIndicator] != 1 {
			t.Fatalf("newer version: %+v", res)
		}
		rows, err := st.ListIndicators(ctx, store.IndicatorQuery{Search: "example", Limit: 10})
		if err != nil || len(rows) != 1 || rows[0].Observables[0].Value != "new.example" {
			t.Fatalf("stored: %+v, %v", rows, err)
		}
		srcs, err := st.IntelSources(ctx, now)
		if err != nil || len(srcs) != 1 || srcs[0].Indicators != 2 || srcs[0].Active != 2 || srcs[0].Unhunted != 1 {
			t.Fatalf("sources: %+v, %v", srcs, err)
		}
	})
}
