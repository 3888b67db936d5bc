package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/intel"
)

// TestIntelCommands pulls a CSV list and ingests alerts around it, then
// lists matches, indicators, profiles and feeds, and sets the
// organisation profile.
func TestIntelCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	recent := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	// An alert stored before the list arrives.
	alerts := fmt.Sprintf(`{"record":"alert","source":"edr","external_id":"A1","title":"beacon","created_at":%q,"entities":[{"type":"ip","value":"203.0.113.9"},{"type":"host","value":"ws-1"}]}`+"\n", recent)
	if code, _, errOut := run(t, db, alerts, "ingest", "-"); code != 0 {
		t.Fatalf("ingest alerts: %s", errOut)
	}
	list := filepath.Join(dir, "list.csv")
	csv := "value,type,confidence,source\n203.0.113.0/24,,80,acme\nevil.example,domain,high,feed\x1b[2J\nnot valid!,domain,,acme\n"
	if err := os.WriteFile(list, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, db, "", "intel", "pull", "--csv", list)
	if code != ExitRejects || !strings.Contains(errOut, `rejected `+list+`:4: value: "not valid!"`) ||
		!strings.Contains(out, "retro-hunt") || !strings.Contains(out, "2 indicators over 1 alerts: 1 matches") || strings.Contains(out+errOut, "\x1b") {
		t.Fatalf("pull (%d):\n%s\n%s", code, out, errOut)
	}
	// Alerts ingested now are matched as they land.
	more := fmt.Sprintf(`{"record":"alert","source":"edr","external_id":"A2","title":"dns","created_at":%q,"entities":[{"type":"domain","value":"cdn.EVIL.example"}]}`+"\n", recent)
	if code, out, errOut := run(t, db, more, "ingest", "-"); code != 0 || strings.Contains(out, "retro-hunt") {
		t.Fatalf("ingest: %s %s", out, errOut)
	}
	code, out, _ = run(t, db, "", "intel", "matches", "--last", "24h", "-o", "json")
	var page intel.MatchPage
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != 0 || page.Total != 2 {
		t.Fatalf("matches: %v %s", err, out)
	}
	byValue := map[string]intel.MatchRow{}
	for _, r := range page.Rows {
		byValue[r.Indicator.Observables[0].Value] = r
	}
	if r := byValue["203.0.113.0/24"]; !r.RetroHunt || r.AlertRefs[0].ExternalID != "A1" || r.Assets[0].Value != "ws-1" || r.Indicator.Source != "acme" {
		t.Errorf("network match: %+v", r)
	}
	if r := byValue["evil.example"]; r.RetroHunt || r.AlertRefs[0].ExternalID != "A2" || r.Indicator.Confidence != 85 {
		t.Errorf("domain match: %+v", r)
	}
	// Filters, and the table escapes the feed's control characters.
	_, out, _ = run(t, db, "", "intel", "matches", "--min-confidence", "85")
	if !strings.Contains(out, "1 indicators matched") || strings.Contains(out, "\x1b") || !strings.Contains(out, `feed\x1b[2J`) {
		t.Errorf("filtered matches:\n%s", out)
	}
	_, out, _ = run(t, db, "", "intel", "indicators", "--type", "cidr")
	if !strings.Contains(out, "203.0.113.0/24") || strings.Contains(out, "evil.example") || !strings.Contains(out, "active") {
		t.Errorf("indicators:\n%s", out)
	}
	// The organisation profile.
	code, out, errOut = run(t, db, "", "settings", "org", "--sectors", "Financial services", "--regions", "Germany,fr", "--platforms", "windows")
	if code != 0 || !strings.Contains(out, "finance") || !strings.Contains(out, "France, Germany") || !strings.Contains(out, "Windows") {
		t.Fatalf("settings org (%d): %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, db, "", "settings", "org", "--regions", "Mordor"); code != ExitError || !strings.Contains(errOut, "Mordor") {
		t.Errorf("bad region (%d): %s", code, errOut)
	}
	_, out, _ = run(t, db, "", "settings", "show")
	if !strings.Contains(out, "France, Germany") {
		t.Errorf("settings show:\n%s", out)
	}
	code, out, _ = run(t, db, "", "intel", "profiles", "--relevant", "--limit", "2", "-o", "json")
	var rank intel.Ranking
	if err := json.Unmarshal([]byte(out), &rank); err != nil || code != 0 || len(rank.Profiles) != 2 || rank.Org.Sectors[0] != "finance" {
		t.Fatalf("profiles: %v %s", err, out)
	}
	code, out, _ = run(t, db, "", "intel", "profile", "APT28")
	if code != 0 || !strings.Contains(out, "G0007") || !strings.Contains(out, "Fancy Bear") {
		t.Errorf("profile:\n%s", out)
	}
	// Scheduled feeds: secrets by variable name only.
	if code, _, errOut := run(t, db, "", "intel", "feeds", "add", "x", "--taxii", "https://cti.example/taxii2/"); code != ExitError || !strings.Contains(errOut, "--collection") {
		t.Errorf("feed without collection: %s", errOut)
	}
	code, out, errOut = run(t, db, "", "intel", "feeds", "add", "acme-taxii", "--taxii", "https://cti.example/taxii2/", "--collection", "c1",
		"--auth", "bearer", "--secret-env", "ACME_TOKEN", "--interval", "2h")
	if code != 0 || !strings.Contains(out, "every 2h0m0s") {
		t.Fatalf("feeds add (%d): %s %s", code, out, errOut)
	}
	_, out, _ = run(t, db, "", "intel", "feeds")
	if !strings.Contains(out, "acme-taxii") || !strings.Contains(out, "taxii every 2h0m0s") || !strings.Contains(out, "acme ") {
		t.Errorf("feeds:\n%s", out)
	}
	if code, _, _ := run(t, db, "", "intel", "feeds", "remove", "acme-taxii"); code != 0 {
		t.Error("feeds remove")
	}
	if code, _, errOut := run(t, db, "", "intel", "pull"); code != ExitError || !strings.Contains(errOut, "name one feed") {
		t.Errorf("pull without a feed: %s", errOut)
	}
}
