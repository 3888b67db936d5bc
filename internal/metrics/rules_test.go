package metrics_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func alert(src, ext, rule string, d model.Disposition, sev model.Severity, caseExt, occurred, created string) model.Alert {
	a := model.Alert{Source: src, ExternalID: ext, Title: "alert " + ext, RuleID: rule, RuleName: "rule " + rule,
		Disposition: d, Severity: sev, CaseExternalID: caseExt, CreatedAt: ts(created)}
	if occurred != "" {
		a.OccurredAt = ts(occurred)
	}
	return a
}

// ruleAlerts: 16 alerts on 2026-03-10 (UTC) and two just outside it.
//
//	edr  r-noisy  FP FP FP TP benign duplicate   (2 in case c1)  FP 3 ÷ judged 5 = 0.6
//	edr  r-good   TP TP none                     (1 in case c1)  0 ÷ 2 = 0; MTTD 60, 120, missing
//	siem r-mid    FP inconclusive test benign                    1 ÷ 2 = 0.5
//	siem r-quiet  FP FP FP                                       3 ÷ 3 = 1
func ruleAlerts() []model.Alert {
	const day = "2026-03-10T"
	FP, TP, BTP := model.DispositionFalsePositive, model.DispositionTruePositive, model.DispositionBenignPositive
	return []model.Alert{
		alert("edr", "n1", "r-noisy", FP, model.SeverityHigh, "c1", "", day+"01:00:00Z"),
		alert("edr", "n2", "r-noisy", FP, model.SeverityHigh, "c1", "", day+"02:00:00Z"),
		alert("edr", "n3", "r-noisy", FP, model.SeverityMedium, "", "", day+"03:00:00Z"),
		alert("edr", "n4", "r-noisy", TP, model.SeverityHigh, "", "", day+"04:00:00Z"),
		alert("edr", "n5", "r-noisy", BTP, model.SeverityLow, "", "", day+"05:00:00Z"),
		alert("edr", "n6", "r-noisy", model.DispositionDuplicate, model.SeverityLow, "", "", day+"06:00:00Z"),
		alert("edr", "g1", "r-good", TP, model.SeverityCritical, "c1", day+"10:00:00Z", day+"10:01:00Z"),
		alert("edr", "g2", "r-good", TP, model.SeverityCritical, "", day+"11:00:00Z", day+"11:02:00Z"),
		alert("edr", "g3", "r-good", model.DispositionNone, model.SeverityMedium, "", "", day+"12:00:00Z"),
		alert("siem", "m1", "r-mid", FP, model.SeverityLow, "", "", day+"13:00:00Z"),
		alert("siem", "m2", "r-mid", model.DispositionInconclusive, model.SeverityLow, "", "", day+"14:00:00Z"),
		alert("siem", "m3", "r-mid", model.DispositionTest, model.SeverityLow, "", "", day+"15:00:00Z"),
		alert("siem", "m4", "r-mid", BTP, model.SeverityMedium, "", "", day+"16:00:00Z"),
		alert("siem", "q1", "r-quiet", FP, model.SeverityInformational, "", "", day+"17:00:00Z"),
		alert("siem", "q2", "r-quiet", FP, model.SeverityInformational, "", "", day+"18:00:00Z"),
		alert("siem", "q3", "r-quiet", FP, model.SeverityInformational, "", "", day+"23:59:59Z"),
		// Outside the window.
		alert("edr", "x1", "r-noisy", FP, model.SeverityHigh, "", "", "2026-03-09T23:59:59Z"),
		alert("edr", "x2", "r-noisy", FP, model.SeverityHigh, "", "", "2026-03-11T00:00:00Z"),
	}
}

func rules(t *testing.T, st *store.Store, w metrics.Window) *metrics.RuleReport {
	t.Helper()
	e := &metrics.Engine{Store: st}
	rep, err := e.Rules(context.Background(), w)
	if err != nil {
		t.Fatalf("rules: %v", err)
	}
	return rep
}

func TestRules(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		c1 := model.Case{Source: "edr", ExternalID: "c1", Title: "case", Priority: model.P2, Stage: model.StageNew,
			CreatedAt: ts("2026-03-10T00:00:00Z"), UpdatedAt: ts("2026-03-10T00:00:00Z")}
		mustApply(t, st, &store.Batch{Cases: []model.Case{c1}, Alerts: ruleAlerts()})
		w := window("2026-03-10", "2026-03-10", time.UTC)
		rep := rules(t, st, w)

		if rep.Alerts != 16 || !approx(val(rep.ConversionRate), 3.0/16) || rep.Definition == "" {
			t.Errorf("alerts %d conversion %v, want 16 3/16", rep.Alerts, val(rep.ConversionRate))
		}
		if !maps.Equal(rep.BySource, map[string]int64{"edr": 9, "siem": 7}) {
			t.Errorf("by source %v", rep.BySource)
		}
		if !maps.Equal(rep.BySeverity, map[string]int64{"critical": 2, "high": 3, "medium": 3, "low": 5, "informational": 3}) {
			t.Errorf("by severity %v", rep.BySeverity)
		}
		type wantRule struct {
			id              string
			alerts, fp, jud int64
			rate, conv      float64
			disp            map[string]int64
		}
		wants := []wantRule{ // noisiest first: most false positives, then volume
			{"r-noisy", 6, 3, 5, 0.6, 2.0 / 6, map[string]int64{"false_positive": 3, "true_positive": 1, "benign_true_positive": 1, "duplicate": 1}},
			{"r-quiet", 3, 3, 3, 1, 0, map[string]int64{"false_positive": 3}},
			{"r-mid", 4, 1, 2, 0.5, 0, map[string]int64{"false_positive": 1, "inconclusive": 1, "test": 1, "benign_true_positive": 1}},
			{"r-good", 3, 0, 2, 0, 1.0 / 3, map[string]int64{"true_positive": 2, "none": 1}},
		}
		checkRules := func(rep *metrics.RuleReport, wants []wantRule) {
			t.Helper()
			if len(rep.Rules) != len(wants) {
				t.Fatalf("%d rules, want %d", len(rep.Rules), len(wants))
			}
			for i, w := range wants {
				r := rep.Rules[i]
				if r.RuleID != w.id || r.Alerts != w.alerts || r.FalsePositives != w.fp || r.Judged != w.jud ||
					!approx(val(r.FalsePositiveRate), w.rate) || !approx(val(r.ConversionRate), w.conv) || !maps.Equal(r.Dispositions, w.disp) {
					t.Errorf("rule #%d: %s alerts %d FP %d judged %d rate %v conversion %v dispositions %v; want %+v",
						i+1, r.RuleID, r.Alerts, r.FalsePositives, r.Judged, val(r.FalsePositiveRate), val(r.ConversionRate), r.Dispositions, w)
				}
			}
		}
		checkRules(rep, wants)
		// Every rule together: FP 3+3+1+0 = 7 of 5+3+2+2 = 12 judged.
		if rep.FalsePositives != 7 || rep.Judged != 12 || !approx(val(rep.FalsePositiveRate), 7.0/12) {
			t.Errorf("window FP %d judged %d rate %v, want 7 12 7/12", rep.FalsePositives, rep.Judged, val(rep.FalsePositiveRate))
		}
		good := rep.Rules[3]
		if good.RuleName != "rule r-good" || good.Source != "edr" {
			t.Errorf("r-good named %q from %q", good.RuleName, good.Source)
		}
		checkKPI(t, "r-good", good.MTTD, want{count: 2, mean: 90, median: 60, p90: 120, missing: 1})

		// A verdict changes after the rollup was built: n3 becomes a true
		// positive. r-noisy: FP 2 ÷ 5 = 0.4, now below r-quiet.
		n3 := ruleAlerts()[2]
		n3.Disposition = model.DispositionTruePositive
		mustApply(t, st, &store.Batch{Alerts: []model.Alert{n3}})
		rep = rules(t, st, w)
		wants[0], wants[1] = wants[1], wants[0]
		wants[1].fp, wants[1].rate = 2, 0.4
		wants[1].disp = map[string]int64{"false_positive": 2, "true_positive": 2, "benign_true_positive": 1, "duplicate": 1}
		checkRules(rep, wants)
		if rep.FalsePositives != 6 || rep.Judged != 12 || !approx(val(rep.FalsePositiveRate), 0.5) {
			t.Errorf("window FP %d judged %d rate %v after the verdict changed, want 6 12 0.5", rep.FalsePositives, rep.Judged, val(rep.FalsePositiveRate))
		}
	})
}

// TestRulesHalfHourZone: an alert created at 18:45Z on 2026-03-01 is at
// 00:15 on 2026-03-02 in Asia/Kolkata (UTC+05:30), so it belongs to the
// local day 2026-03-02. The store marks alert days by the UTC hour of the
// alert (store/facts.go noteAlert: created.Unix()/3600, and markAlertDays:
// DayOf(start of that hour)); 18:00Z is still 2026-03-01 (23:30) in
// Kolkata, so the day 2026-03-02 is never marked: when it has no rollup
// row the alert is missing from every report, and when it has one built
// already, that row is not made stale.
func TestRulesHalfHourZone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		if err := st.SetTimeZone(context.Background(), "Asia/Kolkata"); err != nil {
			t.Fatal(err)
		}
		loc, _ := time.LoadLocation("Asia/Kolkata")
		w := window("2026-03-02", "2026-03-02", loc)
		mustApply(t, st, &store.Batch{Alerts: []model.Alert{
			alert("edr", "a1", "r1", model.DispositionFalsePositive, model.SeverityLow, "", "", "2026-03-01T18:45:00Z"),
		}})
		if n := rules(t, st, w).Alerts; n != 1 {
			t.Errorf("day 2026-03-02 (Kolkata) holds %d alerts, want 1 (created 00:15 local)", n)
		}
		if n := rules(t, st, window("2026-03-01", "2026-03-01", loc)).Alerts; n != 0 {
			t.Errorf("day 2026-03-01 (Kolkata) holds %d alerts, want 0", n)
		}
		// The day's rollup now exists (an alert at 06:00Z marked it); one more
		// alert early on that local day must make it stale.
		mustApply(t, st, &store.Batch{Alerts: []model.Alert{
			alert("edr", "a2", "r1", model.DispositionFalsePositive, model.SeverityLow, "", "", "2026-03-02T06:00:00Z"),
		}})
		before := rules(t, st, w).Alerts
		mustApply(t, st, &store.Batch{Alerts: []model.Alert{
			alert("edr", "a3", "r1", model.DispositionFalsePositive, model.SeverityLow, "", "", "2026-03-01T18:50:00Z"),
		}})
		if after := rules(t, st, w).Alerts; after != before+1 {
			t.Errorf("after a third alert at 00:20 local the day holds %d alerts (before: %d), want %d", after, before, before+1)
		}
	})
}
