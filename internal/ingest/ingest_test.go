package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/native"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// writeSample writes n alerts, n/10 cases (each with three events) in the
// native format, in the order a source would export them.
func writeSample(t testing.TB, w io.Writer, n int) {
	t.Helper()
	bw := bufio.NewWriterSize(w, 1<<20)
	nw := native.NewWriter(bw)
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		at := base.Add(time.Duration(i) * time.Second)
		if i%10 == 0 {
			cid := fmt.Sprintf("C%07d", i/10)
			must(nw.Write(record.Record{Case: &model.Case{Source: "sample", ExternalID: cid, Title: "case " + cid,
				Priority: model.Priority(1 + i%5), Stage: model.StageNew, CreatedAt: at, UpdatedAt: at}}))
			for j, ev := range []struct {
				kind model.EventKind
				new  string
			}{{model.EventAssignee, "alice"}, {model.EventStage, "investigating"}, {model.EventStage, "resolved"}} {
				must(nw.Write(record.Record{Event: &model.CaseEvent{CaseSource: "sample", CaseExternalID: cid,
					ExternalID: fmt.Sprintf("%s/%d", cid, j), At: at.Add(time.Duration(j+1) * time.Minute), Source: "sample",
					Kind: ev.kind, New: ev.new}}))
			}
		}
		al := &model.Alert{Source: "sample", ExternalID: fmt.Sprintf("A%08d", i), Title: fmt.Sprintf("alert %d", i),
			Severity: model.Severity(1 + i%5), RuleID: fmt.Sprintf("R%d", i%40), RuleName: "rule", CreatedAt: at,
			OccurredAt: at.Add(-time.Minute), Entities: []model.Entity{{Type: "host", Value: fmt.Sprintf("ws-%d", i%300)}},
			Techniques: []string{"T1059.001"}}
		if i%10 == 0 {
			al.CaseExternalID = fmt.Sprintf("C%07d", i/10)
		}
		must(nw.Write(record.Record{Alert: al}))
	}
	must(bw.Flush())
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRunReportsRejectsAndStoresTheRest(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "wf.db"))
	in := `{"record":"alert","source":"s","external_id":"1","title":"ok"}
{"record":"alert","source":"s","title":"missing id"}
{"record":"case_event","case_source":"s","case_external_id":"ghost","at":"2026-01-01T00:00:00Z","source":"s","kind":"comment","new":"x"}
{"record":"alert","source":"s","external_id":"2","title":"ok too"}
`
	var rejects bytes.Buffer
	var seen []string
	sum, err := ingest.Run(context.Background(), st, strings.NewReader(in), "mixed.ndjson", ingest.Options{
		Rejects:  &rejects,
		OnReject: func(loc string, err error) { seen = append(seen, loc+": "+err.Error()) },
	})
	if !errors.Is(err, ingest.ErrRejects) {
		t.Fatalf("err = %v, want ErrRejects", err)
	}
	if sum.Format != "native" {
		t.Errorf("format %q, want native", sum.Format)
	}
	if sum.Records != 4 || sum.Rejected != 2 {
		t.Errorf("%d records, %d rejected; want 4 and 2", sum.Records, sum.Rejected)
	}
	if got := sum.Inserted[store.KindAlert]; got != 2 {
		t.Errorf("%d alerts stored, want the 2 good ones", got)
	}
	want := []string{
		"mixed.ndjson:2: alert has no external_id",
		"mixed.ndjson:3: event refers to unknown case s/ghost",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rejects:\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	lines := strings.Split(strings.TrimSpace(rejects.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"loc":"mixed.ndjson:2","reason":"alert has no external_id","record":{"record":"alert"`) {
		t.Fatalf("reject file:\n%s", rejects.String())
	}
	if !strings.Contains(sum.String(), "4 records, 2 new, 0 updated, 0 unchanged, 0 events appended, 2 rejected") {
		t.Fatalf("summary line %q", sum.String())
	}
}

// TestReingestLeavesStoreIdentical ingests the mixed sample twice, on both
// engines (PostgreSQL's second run takes the staging table, since every
// key is stored): the second run stores nothing and changes nothing.
func TestReingestLeavesStoreIdentical(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) { reingest(t, open()) })
}

func reingest(t *testing.T, st *store.Store) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSample(t, f, 2000)
	f.Close()
	ctx := context.Background()
	ingestFile := func() ingest.Summary {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sum, err := ingest.Run(ctx, st, f, "in.ndjson", ingest.Options{BatchSize: 300})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	first := ingestFile()
	fp1, err := st.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := ingestFile()
	fp2, _ := st.Fingerprint(ctx)
	if fp1 != fp2 {
		t.Fatal("re-ingesting changed the store")
	}
	if first.Inserted[store.KindAlert] != 2000 || first.Inserted[store.KindCase] != 200 {
		t.Errorf("first run stored %d alerts and %d cases, want 2000 and 200", first.Inserted[store.KindAlert], first.Inserted[store.KindCase])
	}
	if second.Inserted[store.KindAlert] != 0 || second.Unchanged[store.KindAlert] != 2000 {
		t.Errorf("second run: %d alerts new, %d unchanged; want 0 and 2000", second.Inserted[store.KindAlert], second.Unchanged[store.KindAlert])
	}
	if second.Events != 0 {
		t.Errorf("second run appended %d events, want 0", second.Events)
	}
	c, _ := st.Counts(ctx)
	// 200 cases × (created + priority + 3 given + 200 alert links / 200) events.
	if c["alerts"] != 2000 || c["cases"] != 200 || c["case_events"] != 200*6 {
		t.Fatalf("counts %v", c)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDetectFormats(t *testing.T) {
	for in, want := range map[string]string{
		`{"record":"alert"}`: "native",
		"":                   "native",
	} {
		f, err := ingest.Detect([]byte(in))
		if err != nil || f.Name != want {
			t.Errorf("Detect(%q) = %q, %v; want %q", in, f.Name, err, want)
		}
	}
	if _, err := ingest.Detect([]byte("hello world")); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("unknown input: %v", err)
	}
}
