package ingest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// TestDetectIntelSamples: the shared threat-intelligence samples are told
// apart from each other and from the other formats by their content.
func TestDetectIntelSamples(t *testing.T) {
	events, _ := filepath.Glob(filepath.Join(shareddata.Path(t, "misp-feed"), "*-*-*-*-*.json"))
	if len(events) == 0 {
		t.Skip("no MISP feed events in the shared data")
	}
	for _, tc := range []struct {
		path, want string
	}{
		{events[0], "misp"},
		{shareddata.Path(t, "misp-galaxy", "clusters", "threat-actor.json"), "misp-galaxy"},
		{shareddata.Path(t, "misp-galaxy", "clusters", "ransomware.json"), "misp-galaxy"},
	} {
		b, err := os.ReadFile(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ingest.Detect(b[:min(len(b), 64<<10)])
		if err != nil || f.Name != tc.want {
			t.Errorf("%s detected as %q (%v), want %q", filepath.Base(tc.path), f.Name, err, tc.want)
		}
	}
	for in, want := range map[string]string{
		`{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '1.2.3.4']"}]}`: "stix",
		"value,type,confidence\n198.51.100.1,ip,80\n":                                              "iocsv",
		`{"record":"indicator","source":"x","external_id":"1","type":"ip","value":"198.51.100.1"}`: "native",
	} {
		f, err := ingest.Detect([]byte(in))
		if err != nil || f.Name != want {
			t.Errorf("%.40s… detected as %q (%v), want %q", in, f.Name, err, want)
		}
	}
}
