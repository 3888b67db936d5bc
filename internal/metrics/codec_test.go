package metrics

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sampleGroups() map[string]*Group {
	full := &Counts{Cases: 12, Done: 10, Reopened: 1, Escalated: 3, Handled: 9, HandledSeconds: 12345.5, Worked: 8, WorkedSeconds: 3600.25,
		KPIs: map[KPI]*Agg{
			MTTA: {N: 9, Sum: 5400.25, Open: 2, Missing: 1, Clamped: 1, Imputed: 0, Bins: [][2]int64{{-1, 1}, {40, 3}, {41, 2}, {977, 3}}},
			MTTR: {N: 10, Sum: 86400, Bins: [][2]int64{{1200, 10}}},
			MTTC: {Missing: 12},
		},
		SLAAck: map[string]int64{"met": 8, "breached": 1}, SLAResolve: map[string]int64{"met": 10},
		OpenAck: []OpenClock{{AtRisk: 1772445600000000, Overdue: 1772446500000001}, {}}, OpenResolve: []OpenClock{{Overdue: -5}},
		SourceSLA: map[string]int64{}, Dispositions: map[string]int64{"false_positive": 7, "none": 5}}
	empty := &Counts{KPIs: map[KPI]*Agg{}, SLAAck: map[string]int64{}, SLAResolve: map[string]int64{}, SourceSLA: map[string]int64{},
		Dispositions: map[string]int64{}}
	return map[string]*Group{"P1": {Real: full, Tests: empty}, "": {Real: empty}, "ünïcode\x00key": {Real: full}}
}

func sampleAlertDay() AlertDay {
	return AlertDay{
		"siem\x00R1": {Source: "siem", RuleID: "R1", RuleName: "Credential dumping", Alerts: 40, Linked: 3, Severity: [6]int64{0, 1, 2, 30, 7, 0},
			Dispositions: map[string]int64{"false_positive": 35, "none": 5}, MTTD: &Agg{N: 38, Sum: 7600, Missing: 2, Bins: [][2]int64{{100, 30}, {250, 8}}}},
		"edr\x00": {Source: "edr", Dispositions: map[string]int64{}, MTTD: &Agg{}},
	}
}

// TestPartCodecRoundTrip: every stored part decodes to what was encoded.
func TestPartCodecRoundTrip(t *testing.T) {
	groups := sampleGroups()
	got, err := decodeGroups(encodeGroups(groups))
	if err != nil || !reflect.DeepEqual(got, groups) {
		t.Errorf("groups: %v\n got %+v\nwant %+v", err, got, groups)
	}
	if g, err := decodeGroups(encodeGroups(map[string]*Group{})); err != nil || len(g) != 0 {
		t.Errorf("no groups: %v %v", g, err)
	}
	loads := map[string]*RuleLoad{"siem/R1": {Cases: 3, Handled: 2, HandledSeconds: 7200.5, Worked: 1, WorkedSeconds: 1800.25}, "x": {}}
	if got, err := decodeRuleLoads(encodeRuleLoads(loads)); err != nil || !reflect.DeepEqual(got, loads) {
		t.Errorf("rule loads: %v %+v", err, got)
	}
	ad := sampleAlertDay()
	if got, err := decodeAlertDay(encodeAlertDay(ad)); err != nil || !reflect.DeepEqual(got, ad) {
		t.Errorf("alert day: %v\n got %+v\nwant %+v", err, got, ad)
	}
	td := &TechniqueDay{Alerts: 99, Sets: map[string]int64{`["T1059.001"]`: 4, "": 1}}
	if got, err := decodeTechniqueDay(encodeTechniqueDay(td)); err != nil || !reflect.DeepEqual(got, td) {
		t.Errorf("technique day: %v %+v", err, got)
	}
	// Encoding is deterministic (map order does not leak into the text).
	if encodeGroups(groups) != encodeGroups(sampleGroups()) || encodeAlertDay(ad) != encodeAlertDay(sampleAlertDay()) {
		t.Error("encoding depends on map order")
	}
}

// TestPartCodecRejects: parts in another format are reported as such (and
// rebuilt by the engine); damaged ones give an error, never a panic or a
// silently wrong day.
func TestPartCodecRejects(t *testing.T) {
	for _, old := range []string{`{"format":6,"groups":{}}`, "", "wf6:AAAA", "wf7:AAAA"} {
		if _, err := decodeGroups(old); !errors.Is(err, errPartFormat) {
			t.Errorf("%q: %v, want errPartFormat", old, err)
		}
	}
	text := encodeGroups(sampleGroups())
	for cut := len(partPrefix); cut < len(text)-1; cut++ {
		if _, err := decodeGroups(text[:cut]); err == nil {
			t.Fatalf("truncated at %d of %d: no error", cut, len(text))
		}
	}
	if _, err := decodeGroups(text + "AA"); err == nil {
		t.Error("trailing bytes: no error")
	}
	if _, err := decodeGroups(partPrefix + "!!!"); err == nil || errors.Is(err, errPartFormat) {
		t.Errorf("bad base64: %v", err)
	}
	at := encodeAlertDay(sampleAlertDay())
	for cut := len(partPrefix); cut < len(at)-1; cut++ {
		if _, err := decodeAlertDay(at[:cut]); err == nil {
			t.Fatalf("alert day truncated at %d: no error", cut)
		}
	}
	if !strings.HasPrefix(text, "wf9:") {
		t.Errorf("prefix %q", text[:8])
	}
}

// FuzzDecodeParts: any stored text decodes to an error or to parts whose
// canonical encoding decodes back to the same parts (compared by their
// encodings, which keep NaN bit for bit). Seeds: testdata/fuzz/FuzzDecodeParts
// and the two samples above.
func FuzzDecodeParts(f *testing.F) {
	f.Add(encodeGroups(sampleGroups()))
	f.Add(encodeAlertDay(sampleAlertDay()))
	f.Fuzz(func(t *testing.T, data string) {
		if g, err := decodeGroups(data); err == nil {
			e1 := encodeGroups(g)
			g2, err := decodeGroups(e1)
			if err != nil || encodeGroups(g2) != e1 {
				t.Fatalf("groups do not survive a round trip: %q (%v)", data, err)
			}
		}
		if ad, err := decodeAlertDay(data); err == nil {
			e1 := encodeAlertDay(ad)
			ad2, err := decodeAlertDay(e1)
			if err != nil || encodeAlertDay(ad2) != e1 {
				t.Fatalf("alert day does not survive a round trip: %q (%v)", data, err)
			}
		}
		if m, err := decodeRuleLoads(data); err == nil {
			if m2, err := decodeRuleLoads(encodeRuleLoads(m)); err != nil || encodeRuleLoads(m2) != encodeRuleLoads(m) {
				t.Fatalf("rule loads do not survive a round trip: %q", data)
			}
		}
		if td, err := decodeTechniqueDay(data); err == nil {
			if td2, err := decodeTechniqueDay(encodeTechniqueDay(td)); err != nil || encodeTechniqueDay(td2) != encodeTechniqueDay(td) {
				t.Fatalf("technique day does not survive a round trip: %q", data)
			}
		}
	})
}
