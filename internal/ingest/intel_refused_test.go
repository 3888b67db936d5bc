package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// withDomain gives the native alert external id id in lines an entity.
func withDomain(lines, id, domain string) string {
	return strings.Replace(lines, `"external_id":"`+id+`","title":"t"`,
		`"external_id":"`+id+`","entities":[{"type":"domain","value":"`+domain+`"}],"title":"t"`, 1)
}

// TestMatchingAfterRefusedRecord: when the database refuses one alert of a
// batch and the batch is stored in parts, the alerts that landed are still
// matched against the indicators, and the refused one is not, even when an
// earlier version of it is stored (its refused entities never reached the
// store).
func TestMatchingAfterRefusedRecord(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLitePath(t))
	feed := `{"record":"indicator","source":"feed","external_id":"i1","type":"domain","value":"evil.example"}` + "\n" +
		`{"record":"alert","source":"edr","external_id":"poison","title":"earlier","created_at":"2026-05-01T00:00:00Z"}` + "\n"
	if _, err := ingest.Run(ctx, st, strings.NewReader(feed), "feed.ndjson", ingest.Options{}); err != nil {
		t.Fatalf("ingesting the indicator: %v", err)
	}
	in := alertsWith(300, 0, "")
	in = strings.Replace(in, `"external_id":"a123"`, `"external_id":"poison"`, 1)
	for _, id := range []string{"a10", "poison", "a200"} {
		in = withDomain(in, id, "www.evil.example")
	}
	w := &refusing{Store: st, poison: "poison"}
	sum, err := ingest.Run(ctx, w, strings.NewReader(in), "alerts.ndjson", ingest.Options{Matcher: &intel.Matcher{Store: st}})
	if !errors.Is(err, ingest.ErrRejects) || sum.Rejected != 1 || sum.Inserted[store.KindAlert] != 299 {
		t.Fatalf("ingest: %v, rejected %d, inserted %v", err, sum.Rejected, sum.Inserted)
	}
	pairs, err := st.MatchPairs(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(pairs))
	for i, p := range pairs {
		ids[i] = p.AlertID
	}
	keys, err := st.AlertKeys(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pairs {
		got = append(got, p.IndicatorExternalID+"→"+keys[p.AlertID][1])
	}
	slices.Sort(got)
	if want := []string{"i1→a10", "i1→a200"}; !slices.Equal(got, want) {
		t.Errorf("matches %q, want %q", got, want)
	}
}

// indicators is n native indicators i1…in, with a threat object first and
// a relation from i1 to it last.
func indicators(n int) string {
	var b strings.Builder
	b.WriteString(`{"record":"threat","source":"feed","external_id":"actor","kind":"intrusion-set","name":"Actor"}` + "\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"record":"indicator","source":"feed","external_id":"i%d","type":"ipv4-addr","value":"198.51.100.%d"}`+"\n", i, i)
	}
	b.WriteString(`{"record":"relation","source":"feed","external_id":"r1","type":"indicates","from":"i1","to":"actor"}` + "\n")
	return b.String()
}

// TestRefusedIndicatorAloneIsRejected: an indicator the database refuses
// is rejected alone with its own location; the rest of its batch (threat
// objects, indicators, relations) lands.
func TestRefusedIndicatorAloneIsRejected(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	w := &refusing{Store: st, poison: "i25"}
	var rejects []string
	sum, err := ingest.Run(context.Background(), w, strings.NewReader(indicators(60)), "feed.ndjson", ingest.Options{
		OnReject: func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }})
	if !errors.Is(err, ingest.ErrRejects) {
		t.Fatalf("ingest: %v", err)
	}
	if len(rejects) != 1 || !strings.HasPrefix(rejects[0], "feed.ndjson:26: the database refused the record") {
		t.Fatalf("rejects %q", rejects)
	}
	if sum.Inserted[store.KindIndicator] != 59 || sum.Inserted[store.KindThreat] != 1 || sum.Inserted[store.KindRelation] != 1 {
		t.Errorf("inserted %v", sum.Inserted)
	}
	if w.batches > 20 {
		t.Errorf("%d batches to find one refused record", w.batches)
	}
}
