package servicenow

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

const sampleName = "incident_event_log.csv"

func samplePath(t testing.TB) string {
	return shareddata.Path(t, "servicenow-incidents", sampleName)
}

func parseAll(t testing.TB, r io.Reader, name string) []record.Record {
	t.Helper()
	return recordtest.Collect(t, Parse, name, r)
}

func parseFile(t testing.TB, path string) []record.Record {
	t.Helper()
	return recordtest.CollectFile(t, Parse, path)
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// refCounts is computed from the sample with encoding/csv alone: per
// incident, rows ordered by (sys_updated_at, sys_mod_count, line), a row that
// repeats an earlier row's sys_mod_count and values (audit columns aside)
// skipped, then each column compared with the previous kept row.
type refCounts struct {
	incidents int
	rows      int
	skipped   int
	kinds     map[model.EventKind]int
	reopens   int
	final     map[model.Priority]int // priority of each incident's last kept row
	last      map[string]model.CaseState
}

func reference(t *testing.T, path string) refCounts {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range all[0] {
		col[h] = i
	}
	type line struct {
		n int
		f []string
		t time.Time
		m int
	}
	groups := map[string][]line{}
	for i, f := range all[1:] {
		ts, err := time.Parse("02-01-2006 15:04", f[col["sys_updated_at"]])
		if err != nil {
			t.Fatal(err)
		}
		m, err := strconv.Atoi(f[col["sys_mod_count"]])
		if err != nil {
			t.Fatal(err)
		}
		groups[f[col["number"]]] = append(groups[f[col["number"]]], line{i + 2, f, ts, m})
	}
	get := func(l line, c string) string {
		if v := l.f[col[c]]; v != "?" {
			return v
		}
		return ""
	}
	stage := func(l line) model.Stage {
		s, _ := model.DefaultStatusMap.Stage(get(l, "incident_state"))
		return s
	}
	title := func(l line) string {
		s := l.f[0]
		if c, sc := get(l, "category"), get(l, "subcategory"); c != "" && sc != "" {
			s += " " + c + " / " + sc
		} else if c+sc != "" {
			s += " " + c + sc
		}
		return s
	}
	ref := refCounts{incidents: len(groups), rows: len(all) - 1, kinds: map[model.EventKind]int{},
		final: map[model.Priority]int{}, last: map[string]model.CaseState{}}
	for _, g := range groups {
		slices.SortFunc(g, func(a, b line) int {
			return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.m, b.m), cmp.Compare(a.n, b.n))
		})
		seen := map[string]bool{}
		var kept []line
		for _, l := range g {
			k := slices.Clone(l.f)
			k[col["sys_updated_at"]], k[col["sys_updated_by"]] = "", ""
			key := strings.Join(k, "\x00")
			if seen[key] {
				ref.skipped++
				continue
			}
			seen[key] = true
			kept = append(kept, l)
		}
		for i := 1; i < len(kept); i++ {
			a, b := kept[i-1], kept[i]
			if get(a, "incident_state") != get(b, "incident_state") {
				ref.kinds[model.EventStatus]++
			}
			if stage(a) != stage(b) {
				ref.kinds[model.EventStage]++
				if stage(a).Done() && !stage(b).Done() {
					ref.reopens++
				}
			}
			if model.PriorityFromServiceNow(get(a, "priority")) != model.PriorityFromServiceNow(get(b, "priority")) {
				ref.kinds[model.EventPriority]++
			}
			for c, k := range map[string]model.EventKind{"assigned_to": model.EventAssignee, "assignment_group": model.EventTeam} {
				if get(a, c) != get(b, c) {
					ref.kinds[k]++
				}
			}
			if title(a) != title(b) {
				ref.kinds[model.EventTitle]++
			}
		}
		l := kept[len(kept)-1]
		ref.final[model.PriorityFromServiceNow(get(l, "priority"))]++
		ref.last[l.f[0]] = model.CaseState{
			Title: title(l), Status: get(l, "incident_state"), Stage: stage(l),
			Priority: model.PriorityFromServiceNow(get(l, "priority")),
			Assignee: get(l, "assigned_to"), Team: get(l, "assignment_group"),
		}
	}
	return ref
}

func TestParseSample(t *testing.T) {
	path := samplePath(t)
	ref := reference(t, path)
	// Hand-checked values of the sample, so the reference cannot drift.
	if ref.incidents != 890 || ref.rows != 5998 || ref.skipped != 1 || ref.reopens != 11 {
		t.Fatalf("reference: %d incidents, %d rows, %d skipped, %d reopens; want 890, 5998, 1, 11",
			ref.incidents, ref.rows, ref.skipped, ref.reopens)
	}
	wantKinds := map[model.EventKind]int{
		model.EventStatus: 2527, model.EventStage: 2183, model.EventTeam: 874,
		model.EventAssignee: 440, model.EventTitle: 98, model.EventPriority: 45,
	}
	for k, n := range wantKinds {
		if ref.kinds[k] != n {
			t.Errorf("reference: %d %s changes, want %d", ref.kinds[k], k, n)
		}
	}

	recs := parseFile(t, path)
	kinds := map[model.EventKind]int{}
	cases := map[string]int{}
	stages := map[[2]string]int{}
	for _, r := range recs {
		switch {
		case r.Rejected():
			t.Errorf("unexpected reject %s: %v", r.Loc, r.Err)
		case r.Case != nil:
			cases[r.Case.ExternalID]++
			if r.Case.Source != "servicenow" {
				t.Fatalf("case source %q", r.Case.Source)
			}
		case r.Event != nil:
			e := r.Event
			kinds[e.Kind]++
			if e.Kind == model.EventStage {
				stages[[2]string{e.Old, e.New}]++
			}
		default:
			t.Fatalf("record %s carries nothing", r.Loc)
		}
	}
	if len(cases) != 890 {
		t.Errorf("%d cases, want 890", len(cases))
	}
	for id, n := range cases {
		if n != 1 {
			t.Errorf("%s: %d snapshots, want 1", id, n)
		}
	}
	for k, n := range ref.kinds {
		if kinds[k] != n {
			t.Errorf("%d %s events, reference says %d", kinds[k], k, n)
		}
	}
	if len(kinds) != len(ref.kinds) {
		t.Errorf("event kinds %v, reference %v", kinds, ref.kinds)
	}
	wantStages := map[[2]string]int{
		{"resolved", "closed"}: 890, {"investigating", "resolved"}: 650, {"new", "investigating"}: 410,
		{"new", "resolved"}: 222, {"resolved", "investigating"}: 11,
	}
	if !mapsEqual(stages, wantStages) {
		t.Errorf("stage transitions %v, want %v", stages, wantStages)
	}

	// Replayed through the store's rules, every incident ends in its last
	// row's state, however the records fall into batches.
	var logs map[string]int
	for _, batch := range []int{5000, 7} {
		st := newFakeStore(batch)
		st.add(recs)
		if st.diffs != 0 || st.ignored != 0 {
			t.Errorf("batch %d: %d diff events and %d ignored snapshots, want 0, 0", batch, st.diffs, st.ignored)
		}
		prios := map[model.Priority]int{}
		reopens := 0
		for id, fc := range st.cases {
			s := fc.fold()
			prios[s.Priority]++
			reopens += s.ReopenCount
			want := ref.last[id]
			if s.Title != want.Title || s.Status != want.Status || s.Stage != want.Stage || s.Priority != want.Priority ||
				s.Assignee != want.Assignee || s.Team != want.Team {
				t.Errorf("batch %d: %s ends %+v, want %+v", batch, id, s, want)
			}
			if s.Stage != model.StageClosed || s.ResolvedAt.IsZero() || s.ClosedAt.IsZero() {
				t.Errorf("batch %d: %s ends %+v, want closed with resolution and close times", batch, id, s)
			}
		}
		wantPrios := map[model.Priority]int{model.P1: 15, model.P2: 33, model.P3: 757, model.P4: 85}
		if !mapsEqual(prios, wantPrios) || !mapsEqual(ref.final, wantPrios) {
			t.Errorf("final priorities %v (reference %v), want %v", prios, ref.final, wantPrios)
		}
		if reopens != 11 {
			t.Errorf("%d reopens in the projections, want 11", reopens)
		}
		if logs == nil {
			logs = logSizes(st)
		} else if !mapsEqual(logs, logSizes(st)) {
			t.Errorf("batch %d: logs differ from batch 5000", batch)
		}

		// Ingesting the same file again changes nothing.
		st.add(parseFile(t, path))
		if !mapsEqual(logs, logSizes(st)) || st.diffs != 0 || st.ignored != 890 {
			t.Errorf("batch %d: re-ingest changed the logs (%d diff events, %d of 890 snapshots ignored)", batch, st.diffs, st.ignored)
		}
	}
}

// TestResolutionDating checks which resolutions take resolved_at rather
// than the update's own time: 17 in the sample, all later saves made while
// the incident was still Resolved.
func TestResolutionDating(t *testing.T) {
	path := samplePath(t)
	recs := parseFile(t, path)
	updated := map[string]time.Time{} // loc → sys_updated_at of that row
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range all[1:] {
		ts, _ := time.Parse("02-01-2006 15:04", row[13])
		updated[sampleName+":"+strconv.Itoa(i+2)] = ts
	}
	moved := 0
	for _, r := range recs {
		if e := r.Event; e != nil && e.Kind == model.EventStage && e.New == "resolved" {
			if e.At.Before(updated[r.Loc]) {
				t.Errorf("%s: resolution dated %v, before its update %v", r.Loc, e.At, updated[r.Loc])
			}
			if !e.At.Equal(updated[r.Loc]) {
				moved++
			}
		}
	}
	if moved != 17 {
		t.Errorf("%d resolutions dated by resolved_at, want 17", moved)
	}
}

func logSizes(st *fakeStore) map[string]int {
	m := map[string]int{}
	for id, fc := range st.cases {
		m[id] = len(fc.log)
	}
	return m
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// incident returns the records of one incident, in emission order.
func incident(recs []record.Record, number string) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if (r.Case != nil && r.Case.ExternalID == number) || (r.Event != nil && r.Event.CaseExternalID == number) {
			out = append(out, r)
		}
	}
	return out
}

type wantEvent struct {
	loc, id, at, actor string
	kind               model.EventKind
	old, new           string
}

func checkEvents(t *testing.T, recs []record.Record, want []wantEvent) {
	t.Helper()
	var got []record.Record
	for _, r := range recs {
		if r.Event != nil {
			got = append(got, r)
		}
	}
	if len(got) != len(want) {
		for _, r := range got {
			t.Logf("%s %+v", r.Loc, *r.Event)
		}
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i, w := range want {
		r, e := got[i], got[i].Event
		if r.Loc != sampleName+":"+w.loc || e.ExternalID != w.id || !e.At.Equal(utc(w.at)) || e.Actor != w.actor ||
			e.Kind != w.kind || e.Old != w.old || e.New != w.new || e.Source != "servicenow" || e.CaseSource != "servicenow" {
			t.Errorf("event %d: %s %+v\nwant %+v", i, r.Loc, *e, w)
		}
	}
}

func TestINC0000045(t *testing.T) {
	recs := incident(parseFile(t, samplePath(t)), "INC0000045")
	if len(recs) != 5 || recs[0].Case == nil {
		t.Fatalf("%d records (first %+v), want a snapshot and 4 events", len(recs), recs[0])
	}
	c := recs[0].Case
	if recs[0].Loc != sampleName+":2" || c.Source != "servicenow" || c.ExternalID != "INC0000045" ||
		c.Title != "INC0000045 Category 55 / Subcategory 170" || c.Priority != model.P3 ||
		c.Status != "New" || c.Stage != model.StageNew || c.Assignee != "" || c.Team != "Group 56" ||
		!c.CreatedAt.Equal(utc("2016-02-29 01:16")) || !c.UpdatedAt.Equal(utc("2016-02-29 01:23")) ||
		c.Version != 1 || !c.ResolvedAt.IsZero() || !c.ClosedAt.IsZero() {
		t.Errorf("snapshot %s %+v", recs[0].Loc, *c)
	}
	// Source fields are those of the latest update (line 5).
	wantAttrs := map[string]string{
		"active": "FALSE", "reassignment_count": "0", "reopen_count": "0", "sys_mod_count": "4", "made_sla": "TRUE",
		"caller_id": "Caller 2403", "opened_by": "Opened by  8", "sys_created_by": "Created by 6",
		"sys_created_at": "29-02-2016 01:23", "contact_type": "Phone", "location": "Location 143",
		"category": "Category 55", "subcategory": "Subcategory 170", "u_symptom": "Symptom 72",
		"impact": "2 - Medium", "urgency": "2 - Medium", "priority": "3 - Moderate", "knowledge": "TRUE",
		"u_priority_confirmation": "FALSE", "notify": "Do Not Notify", "closed_code": "code 5",
		"resolved_by": "Resolved by 149", "resolved_at": "29-02-2016 11:29", "closed_at": "05-03-2016 12:00",
	}
	if !mapsEqual(c.Attributes, wantAttrs) {
		t.Errorf("attributes %v\nwant %v", c.Attributes, wantAttrs)
	}
	if !strings.Contains(string(c.Raw), `"sys_updated_by":"Updated by 908"`) || !strings.Contains(string(c.Raw), `"cmdb_ci":"?"`) {
		t.Errorf("raw %s", c.Raw)
	}
	checkEvents(t, recs, []wantEvent{
		{"3", "INC0000045/mod/2/status", "2016-02-29 11:29", "Updated by 642", model.EventStatus, "New", "Resolved"},
		{"3", "INC0000045/mod/2/stage", "2016-02-29 11:29", "Updated by 642", model.EventStage, "new", "resolved"},
		{"5", "INC0000045/mod/4/status", "2016-03-05 12:00", "Updated by 908", model.EventStatus, "Resolved", "Closed"},
		{"5", "INC0000045/mod/4/stage", "2016-03-05 12:00", "Updated by 908", model.EventStage, "resolved", "closed"},
	})

	st := newFakeStore(5000)
	st.add(recs)
	fc := st.cases["INC0000045"]
	var log []string
	for _, e := range fc.log {
		log = append(log, e.At.Format("01-02 15:04")+" "+string(e.Kind)+" "+e.Old+">"+e.New)
	}
	wantLog := []string{
		"02-29 01:16 created >INC0000045 Category 55 / Subcategory 170", "02-29 01:16 priority >P3",
		"02-29 01:16 team >Group 56", "02-29 01:23 status >New",
		"02-29 11:29 status New>Resolved", "02-29 11:29 stage new>resolved",
		"03-05 12:00 status Resolved>Closed", "03-05 12:00 stage resolved>closed",
	}
	if !slices.Equal(log, wantLog) {
		t.Errorf("log\n%s\nwant\n%s", strings.Join(log, "\n"), strings.Join(wantLog, "\n"))
	}
	s := fc.fold()
	if s.Stage != model.StageClosed || s.Status != "Closed" || !s.ResolvedAt.Equal(utc("2016-02-29 11:29")) ||
		!s.ClosedAt.Equal(utc("2016-03-05 12:00")) || !s.AcknowledgedAt.Equal(utc("2016-02-29 11:29")) || s.ReopenCount != 0 {
		t.Errorf("projection %+v", s)
	}
}

// TestReopen follows INC0000102, resolved on 14 March, reopened and
// resolved again on 17 March: the reopen is a stage event going back, the
// first resolution keeps its own time (resolved_at belongs to the second).
func TestReopen(t *testing.T) {
	recs := incident(parseFile(t, samplePath(t)), "INC0000102")
	checkEvents(t, recs, []wantEvent{
		{"205", "INC0000102/mod/2/status", "2016-02-29 20:09", "Updated by 111", model.EventStatus, "New", "Awaiting User Info"},
		{"205", "INC0000102/mod/2/stage", "2016-02-29 20:09", "Updated by 111", model.EventStage, "new", "investigating"},
		{"209", "INC0000102/mod/6/status", "2016-03-03 17:29", "Updated by 727", model.EventStatus, "Awaiting User Info", "Active"},
		{"210", "INC0000102/mod/7/team", "2016-03-04 11:15", "Updated by 451", model.EventTeam, "Group 70", "Group 50"},
		{"212", "INC0000102/mod/9/team", "2016-03-04 12:17", "Updated by 259", model.EventTeam, "Group 50", "Group 70"},
		{"213", "INC0000102/mod/10/team", "2016-03-04 14:08", "Updated by 336", model.EventTeam, "Group 70", "Group 29"},
		{"214", "INC0000102/mod/11/team", "2016-03-04 15:51", "Updated by 135", model.EventTeam, "Group 29", "Group 23"},
		{"215", "INC0000102/mod/12/status", "2016-03-07 11:50", "Updated by 507", model.EventStatus, "Active", "Awaiting User Info"},
		{"218", "INC0000102/mod/16/status", "2016-03-14 08:13", "Updated by 135", model.EventStatus, "Awaiting User Info", "Resolved"},
		{"218", "INC0000102/mod/16/stage", "2016-03-14 08:13", "Updated by 135", model.EventStage, "investigating", "resolved"},
		{"219", "INC0000102/mod/17/status", "2016-03-17 16:27", "Updated by 241", model.EventStatus, "Resolved", "Active"},
		{"219", "INC0000102/mod/17/stage", "2016-03-17 16:27", "Updated by 241", model.EventStage, "resolved", "investigating"},
		{"220", "INC0000102/mod/18/status", "2016-03-17 16:28", "Updated by 241", model.EventStatus, "Active", "Resolved"},
		{"220", "INC0000102/mod/18/stage", "2016-03-17 16:28", "Updated by 241", model.EventStage, "investigating", "resolved"},
		{"221", "INC0000102/mod/19/status", "2016-03-24 18:59", "Updated by 908", model.EventStatus, "Resolved", "Closed"},
		{"221", "INC0000102/mod/19/stage", "2016-03-24 18:59", "Updated by 908", model.EventStage, "resolved", "closed"},
	})
	st := newFakeStore(5000)
	st.add(recs)
	s := st.cases["INC0000102"].fold()
	if s.ReopenCount != 1 || !s.ResolvedAt.Equal(utc("2016-03-14 08:13")) || s.Team != "Group 23" || s.Assignee != "Resolver 31" {
		t.Errorf("projection %+v", s)
	}
	if c := recs[0].Case; c == nil || c.Status != "New" || c.Attributes["reopen_count"] != "1" || c.Version != 1 {
		t.Errorf("snapshot %+v", recs[0].Case)
	}
}

// TestNonMonotonicModCount covers the 5 incidents whose sys_mod_count goes
// backwards in the sample.
func TestNonMonotonicModCount(t *testing.T) {
	recs := parseFile(t, samplePath(t))

	// INC0000137: the repeated revision 1 (line 359, 11:10) is skipped, so
	// no reopen is invented after the 11:03 resolution.
	inc := incident(recs, "INC0000137")
	if c := inc[0].Case; c == nil || inc[0].Loc != sampleName+":360" || !c.UpdatedAt.Equal(utc("2016-02-29 09:52")) || c.Version != 2 {
		t.Errorf("INC0000137 first snapshot %s %+v", inc[0].Loc, inc[0].Case)
	}
	checkEvents(t, inc, []wantEvent{
		{"361", "INC0000137/mod/2/status", "2016-02-29 11:03", "Updated by 60", model.EventStatus, "New", "Resolved"},
		{"361", "INC0000137/mod/2/stage", "2016-02-29 11:03", "Updated by 60", model.EventStage, "new", "resolved"},
		{"362", "INC0000137/mod/3/status", "2016-03-05 12:00", "Updated by 908", model.EventStatus, "Resolved", "Closed"},
		{"362", "INC0000137/mod/3/stage", "2016-03-05 12:00", "Updated by 908", model.EventStage, "resolved", "closed"},
	})

	// INC0000130: the first row (revision 2, before opened_at) is kept in
	// time order; its group move is real (reassignment_count 0 → 1). The
	// snapshot's version is the lowest revision's, 1.
	inc = incident(recs, "INC0000130")
	if c := inc[0].Case; c == nil || c.Team != "Group 72" || c.Version != 2 || !c.UpdatedAt.Equal(utc("2016-02-29 07:27")) {
		t.Errorf("INC0000130 first snapshot %+v", inc[0].Case)
	}
	checkEvents(t, inc, []wantEvent{
		{"331", "INC0000130/mod/1/team", "2016-02-29 09:59", "Updated by 133", model.EventTeam, "Group 72", "Group 73"},
		{"332", "INC0000130/mod/2/status", "2016-03-01 14:13", "Updated by 755", model.EventStatus, "New", "Active"},
		{"332", "INC0000130/mod/2/stage", "2016-03-01 14:13", "Updated by 755", model.EventStage, "new", "investigating"},
		{"332", "INC0000130/mod/2/assignee", "2016-03-01 14:13", "Updated by 755", model.EventAssignee, "", "Resolver 198"},
		{"334", "INC0000130/mod/4/status", "2016-03-03 10:16", "Updated by 533", model.EventStatus, "Active", "Resolved"},
		{"334", "INC0000130/mod/4/stage", "2016-03-03 10:16", "Updated by 533", model.EventStage, "investigating", "resolved"},
		{"335", "INC0000130/mod/5/status", "2016-03-08 11:00", "Updated by 908", model.EventStatus, "Resolved", "Closed"},
		{"335", "INC0000130/mod/5/stage", "2016-03-08 11:00", "Updated by 908", model.EventStage, "resolved", "closed"},
	})

	// INC0000135: revision 7 appears first (09:27) and last (Closed); the
	// snapshot's version is the lowest revision's.
	inc = incident(recs, "INC0000135")
	if c := inc[0].Case; c == nil || c.Version != 2 || c.Status != "Active" || inc[0].Loc != sampleName+":351" {
		t.Errorf("INC0000135 snapshot %s %+v", inc[0].Loc, inc[0].Case)
	}
}

func TestDetect(t *testing.T) {
	head := "number,incident_state,active,sys_mod_count,sys_updated_at\n"
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"sample header", "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,contact_type\nINC0000045,New", true},
		{"minimal", head, true},
		{"byte order mark", "\xEF\xBB\xBF" + head, true},
		{"other order, quoted, upper case", `"SYS_UPDATED_AT","Number","incident_state"` + "\r\nx,y,z", true},
		{"truncated after the needed columns", "number,incident_state,sys_updated_at,opened_a", true},
		{"no sys_updated_at", "number,incident_state,opened_at\n", false},
		{"columns only in a later line", "id,state\nnumber,incident_state,sys_updated_at\n", false},
		{"json", `{"number":"INC1","incident_state":"New","sys_updated_at":"x"}`, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect([]byte(tt.head)); got != tt.want {
				t.Errorf("Detect = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDetectSample(t *testing.T) {
	b, err := os.ReadFile(samplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	if !Detect(b[:512]) {
		t.Error("Detect rejects the sample's first 512 bytes")
	}
}

// sampleHeader and the rows below are excerpts of the sample.
const sampleHeader = "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,contact_type,location,category,subcategory,u_symptom,cmdb_ci,impact,urgency,priority,assignment_group,assigned_to,knowledge,u_priority_confirmation,notify,problem_id,rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,closed_at\n"

const inc45 = `INC0000045,New,TRUE,0,0,0,TRUE,Caller 2403,Opened by  8,29-02-2016 01:16,Created by 6,29-02-2016 01:23,Updated by 21,29-02-2016 01:23,Phone,Location 143,Category 55,Subcategory 170,Symptom 72,?,2 - Medium,2 - Medium,3 - Moderate,Group 56,?,TRUE,FALSE,Do Not Notify,?,?,?,?,code 5,Resolved by 149,29-02-2016 11:29,05-03-2016 12:00
INC0000045,Resolved,TRUE,0,0,2,TRUE,Caller 2403,Opened by  8,29-02-2016 01:16,Created by 6,29-02-2016 01:23,Updated by 642,29-02-2016 08:53,Phone,Location 143,Category 55,Subcategory 170,Symptom 72,?,2 - Medium,2 - Medium,3 - Moderate,Group 56,?,TRUE,FALSE,Do Not Notify,?,?,?,?,code 5,Resolved by 149,29-02-2016 11:29,05-03-2016 12:00
INC0000045,Resolved,TRUE,0,0,3,TRUE,Caller 2403,Opened by  8,29-02-2016 01:16,Created by 6,29-02-2016 01:23,Updated by 804,29-02-2016 11:29,Phone,Location 143,Category 55,Subcategory 170,Symptom 72,?,2 - Medium,2 - Medium,3 - Moderate,Group 56,?,TRUE,FALSE,Do Not Notify,?,?,?,?,code 5,Resolved by 149,29-02-2016 11:29,05-03-2016 12:00
INC0000045,Closed,FALSE,0,0,4,TRUE,Caller 2403,Opened by  8,29-02-2016 01:16,Created by 6,29-02-2016 01:23,Updated by 908,05-03-2016 12:00,Phone,Location 143,Category 55,Subcategory 170,Symptom 72,?,2 - Medium,2 - Medium,3 - Moderate,Group 56,?,TRUE,FALSE,Do Not Notify,?,?,?,?,code 5,Resolved by 149,29-02-2016 11:29,05-03-2016 12:00
`

// TestMissingValues checks "?" handling on a two-row excerpt whose
// priority, category, assignee and resolved_at are missing.
func TestMissingValues(t *testing.T) {
	in := sampleHeader +
		"INC0000001,Active,TRUE,0,0,0,TRUE,?,?,29-02-2016 01:16,?,?,?,29-02-2016 01:23,Phone,?,?,?,?,?,?,?,?,?,Resolver 1,TRUE,FALSE,Do Not Notify,?,?,?,?,?,?,?,?\n" +
		"INC0000001,Resolved,TRUE,0,0,1,TRUE,?,?,29-02-2016 01:16,?,?,Updated by 7,29-02-2016 02:00,Phone,?,Category 3,?,?,?,?,?,?,Group 1,?,TRUE,FALSE,Do Not Notify,?,?,?,?,?,?,?,?\n"
	recs := parseAll(t, strings.NewReader(in), "x.csv")
	if len(recs) != 6 {
		for _, r := range recs {
			t.Logf("%s %+v %+v", r.Loc, r.Case, r.Event)
		}
		t.Fatalf("%d records, want 6", len(recs))
	}
	c := recs[0].Case
	if c == nil || c.Title != "INC0000001" || c.Priority != model.PriorityUnknown || c.Team != "" || c.Assignee != "Resolver 1" ||
		c.Stage != model.StageInvestigating || c.Version != 1 || !c.ResolvedAt.IsZero() ||
		c.Attributes["made_sla"] != "TRUE" || c.Attributes["category"] != "Category 3" {
		t.Fatalf("first snapshot %+v", c)
	}
	for _, k := range []string{"cmdb_ci", "caller_id", "resolved_at", "sys_updated_by"} {
		if _, ok := c.Attributes[k]; ok {
			t.Errorf("attribute %s kept", k)
		}
	}
	want := []struct {
		kind     model.EventKind
		old, new string
	}{
		{model.EventStatus, "Active", "Resolved"}, {model.EventStage, "investigating", "resolved"},
		{model.EventAssignee, "Resolver 1", ""}, {model.EventTeam, "", "Group 1"},
		{model.EventTitle, "INC0000001", "INC0000001 Category 3"},
	}
	for i, w := range want {
		e := recs[i+1].Event
		if e == nil || e.Kind != w.kind || e.Old != w.old || e.New != w.new || !e.At.Equal(utc("2016-02-29 02:00")) || e.Actor != "Updated by 7" {
			t.Errorf("event %d: %+v, want %+v", i, e, w)
		}
	}
}

// TestRejects checks that bad rows are rejected with their line and reason,
// and that the incident's other rows still land.
func TestRejects(t *testing.T) {
	rows := strings.Split(strings.TrimSuffix(inc45, "\n"), "\n")
	bad := func(row string, from, to string) string { return strings.Replace(row, from, to, 1) }
	in := sampleHeader +
		rows[0] + "\n" + // line 2
		bad(rows[1], "Updated by 642,29-02-2016 08:53", "Updated by 642,29-02-2016 8h53") + "\n" + // line 3
		"\n" + // line 4, blank: skipped
		bad(rows[2], "Location 143,", "") + "\n" + // line 5: 35 fields
		",New,TRUE" + strings.Repeat(",x", 33) + "\n" + // line 6: empty number
		bad(rows[2], ",0,0,3,", ",0,0,three,") + "\n" + // line 7
		bad(rows[2], "Updated by 804,29-02-2016 11:29", "Updated by 804,?") + "\n" + // line 8
		bad(rows[2], "code 5,Resolved by 149,29-02-2016 11:29", "code 5,Resolved by 149,2016-02-30") + "\n" + // line 9
		`INC0000045,"Resolved"x,TRUE` + "\n" + // line 10
		rows[3] + "\n" // line 11
	recs := parseAll(t, strings.NewReader(in), "x.csv")
	wantRejects := []struct{ loc, reason string }{
		{"x.csv:3", `sys_updated_at "29-02-2016 8h53" is not a DD-MM-YYYY HH:MM time`},
		{"x.csv:5", "row has 35 fields, header has 36"},
		{"x.csv:6", "number is empty"},
		{"x.csv:7", `sys_mod_count "three" is not a non-negative integer`},
		{"x.csv:8", "sys_updated_at is missing"},
		{"x.csv:9", `resolved_at "2016-02-30" is not a DD-MM-YYYY HH:MM time`},
		{"x.csv:10", `field 2: unexpected 'x' after closing quote`},
	}
	var rejects, good []record.Record
	for _, r := range recs {
		if r.Rejected() {
			rejects = append(rejects, r)
		} else {
			good = append(good, r)
		}
	}
	if len(rejects) != len(wantRejects) {
		t.Fatalf("%d rejects, want %d: %v", len(rejects), len(wantRejects), rejects)
	}
	for i, w := range wantRejects {
		if rejects[i].Loc != w.loc || rejects[i].Err.Error() != w.reason {
			t.Errorf("reject %d: %s %q, want %s %q", i, rejects[i].Loc, rejects[i].Err, w.loc, w.reason)
		}
	}
	if string(rejects[0].Raw) != bad(rows[1], "Updated by 642,29-02-2016 08:53", "Updated by 642,29-02-2016 8h53") {
		t.Errorf("reject raw %q", rejects[0].Raw)
	}
	if string(rejects[6].Raw) != `INC0000045,"Resolved"x,TRUE` {
		t.Errorf("reject raw %q", rejects[6].Raw)
	}
	// Rejects come first: the incident is emitted when it ends.
	if len(good) != 3 || good[0].Loc != "x.csv:2" || good[2].Loc != "x.csv:11" {
		t.Fatalf("good records %v", good)
	}
	if e := good[1].Event; e == nil || e.ExternalID != "INC0000045/mod/4/status" || e.Old != "New" || e.New != "Closed" {
		t.Errorf("event %+v", good[1].Event)
	}
}

func TestHeaderByName(t *testing.T) {
	// Reordered columns, a byte order mark, CRLF line ends, upper-case
	// names with spaces, an unknown extra column and no sys_mod_count.
	in := "\xEF\xBB\xBF SYS_UPDATED_AT ,Incident_State,number,priority,extra\r\n" +
		"2016-02-29 01:23:00,New,INC9,2 - High,a\r\n" +
		"2016-02-29 02:00:00,Active,INC9,1 - Critical,b\r\n" +
		"29-02-2016 03:00,Active,INC8,\"4 - Low\",c\r\n"
	recs := parseAll(t, strings.NewReader(in), "h.csv")
	if len(recs) != 5 {
		t.Fatalf("%d records: %v", len(recs), recs)
	}
	if c := recs[0].Case; c == nil || c.ExternalID != "INC9" || c.Priority != model.P2 || c.Version != 0 || c.Attributes["extra"] != "b" ||
		c.Attributes["priority"] != "1 - Critical" || !c.UpdatedAt.Equal(utc("2016-02-29 01:23")) || !c.CreatedAt.IsZero() {
		t.Errorf("first snapshot %+v", recs[0].Case)
	}
	wantIDs := []string{"INC9/at/20160229T0200Z/status", "INC9/at/20160229T0200Z/stage", "INC9/at/20160229T0200Z/priority"}
	for i, id := range wantIDs {
		if e := recs[i+1].Event; e == nil || e.ExternalID != id {
			t.Errorf("event %d: %+v, want id %s", i, recs[i+1].Event, id)
		}
	}
	if e := recs[3].Event; e.Old != "P2" || e.New != "P1" {
		t.Errorf("priority event %+v", e)
	}
	if c := recs[4].Case; c == nil || recs[4].Loc != "h.csv:4" || c.ExternalID != "INC8" || c.Priority != model.P4 || c.Stage != model.StageInvestigating {
		t.Errorf("single-row incident %s %+v", recs[4].Loc, recs[4].Case)
	}
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"missing columns", "number,state,updated\nINC1,New,x\n", "missing column(s) incident_state, sys_updated_at"},
		{"malformed header", `"number"x,incident_state` + "\n", "unexpected 'x' after closing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Parse(context.Background(), strings.NewReader(tt.in), "e.csv", func(record.Record) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "e.csv:1") {
				t.Errorf("err = %v, want it to mention e.csv:1 and %q", err, tt.err)
			}
		})
	}
	if err := Parse(context.Background(), strings.NewReader(""), "e.csv", func(record.Record) error { return nil }); err != nil {
		t.Errorf("empty input: %v", err)
	}
}

// TestSplitIncident checks an incident whose rows come in two groups, and
// one ingested from a shorter export first: the end state and the log are
// those of the whole history.
func TestSplitIncident(t *testing.T) {
	rows := strings.SplitAfter(inc45, "\n")
	whole := newFakeStore(5000)
	whole.add(parseAll(t, strings.NewReader(sampleHeader+inc45), "w.csv"))
	want := whole.cases["INC0000045"]

	other := strings.ReplaceAll(rows[0], "INC0000045", "INC0000046")
	split := parseAll(t, strings.NewReader(sampleHeader+rows[0]+rows[1]+other+rows[2]+rows[3]), "s.csv")
	for _, batch := range []int{1, 5000} {
		st := newFakeStore(batch)
		st.add(split)
		if got := st.cases["INC0000045"].fold(); got != want.fold() {
			t.Errorf("batch %d: split %+v, whole %+v", batch, got, want.fold())
		}
	}

	// A later, longer export of the same incident only adds what is new.
	st := newFakeStore(5000)
	st.add(parseAll(t, strings.NewReader(sampleHeader+rows[0]+rows[1]), "early.csv"))
	if s := st.cases["INC0000045"].fold(); s.Stage != model.StageResolved {
		t.Fatalf("early export ends %+v", s)
	}
	st.add(parseAll(t, strings.NewReader(sampleHeader+inc45), "late.csv"))
	got := st.cases["INC0000045"]
	if got.fold() != want.fold() || st.diffs != 0 || st.ignored != 1 || len(got.log) != len(want.log) {
		t.Errorf("incremental %+v (%d diff events, %d ignored, %d events), whole %+v (%d events)", got.fold(), st.diffs,
			st.ignored, len(got.log), want.fold(), len(want.log))
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Parse(context.Background(), strings.NewReader(sampleHeader+inc45), "a.csv", func(record.Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d records, want stop after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Parse(ctx, strings.NewReader(sampleHeader+inc45), "a.csv", func(record.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestPriorityVocabulary: a priority that is not one of ServiceNow's is
// rejected with the column named; "?" is no priority.
func TestPriorityVocabulary(t *testing.T) {
	rows := strings.Split(strings.TrimSuffix(inc45, "\n"), "\n")
	in := sampleHeader + strings.Replace(rows[0], "3 - Moderate", "banana", 1) + "\n" +
		strings.Replace(rows[1], "3 - Moderate", "?", 1) + "\n"
	recs := parseAll(t, strings.NewReader(in), "x.csv")
	if len(recs) < 2 || !recs[0].Rejected() || recs[0].Loc != "x.csv:2" ||
		recs[0].Err.Error() != `priority "banana" is not a ServiceNow priority (1 - Critical … 5 - Planning)` {
		t.Fatalf("records %v", recs)
	}
	for _, r := range recs[1:] {
		if r.Rejected() {
			t.Errorf("a missing priority was rejected: %v", r.Err)
		}
	}
}
