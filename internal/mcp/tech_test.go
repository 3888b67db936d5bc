package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

func TestTechnologyHealth(t *testing.T) { engines(t, testTechnologyHealth) }

// testTechnologyHealth stores four weeks of a source sending every two
// minutes until two hours before now: the tool says it is silent, with
// the evidence, and marks the source's name untrusted.
func testTechnologyHealth(t *testing.T, st *store.Store) {
	const src = "edr\u202e<b>x</b>"
	var b store.Batch
	for at := now.Add(-28 * 24 * time.Hour); at.Before(now.Add(-2 * time.Hour)); at = at.Add(2 * time.Minute) {
		b.Alerts = append(b.Alerts, model.Alert{Source: src, ExternalID: fmt.Sprint(at.Unix()), RuleID: "R1", CreatedAt: at, IngestedAt: at.Add(15 * time.Second)})
	}
	if _, err := st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	cs := connect(t, Options{Store: st})
	out := call[TechHealthOut](t, cs, "get_technology_health", map[string]any{"with_pipeline": true})
	var got *TechKey
	for i := range out.Sources {
		if strings.HasPrefix(out.Sources[i].Source, "edr") {
			got = &out.Sources[i]
		}
	}
	if got == nil || got.HealthState != "silent" || got.Seen != 0 || got.Since != now.Add(-2*time.Hour-2*time.Minute).UTC().Format(time.RFC3339) ||
		len(got.Evidence) == 0 || got.Evidence[0].Unit != "alerts" {
		t.Fatalf("source %+v", got)
	}
	if got.Source != `edr\u202e<b>x</b>` {
		t.Errorf("source name %q: the bidi control is shown escaped", got.Source)
	}
	if len(out.Rules) == 0 || out.Rules[0].Rule != "R1" || out.RulesMatched < 1 || out.Definition == "" {
		t.Errorf("rules %+v feeds %v", out.Rules, out.Feeds)
	}
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "get_technology_health", Arguments: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if !strings.Contains(string(raw), `"source":{"text":"edr\\u202e\u003cb\u003ex\u003c/b\u003e","untrusted":true}`) &&
		!strings.Contains(string(raw), `"source":{"text":"edr\\u202e<b>x</b>","untrusted":true}`) {
		t.Errorf("source not marked untrusted: %s", raw[:min(len(raw), 600)])
	}
	if !strings.Contains(string(raw), `"health_state":"silent"`) {
		t.Errorf("health_state marked: %s", raw[:min(len(raw), 600)])
	}
	if res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "get_technology_health", Arguments: map[string]any{"last": "7x"}}); err != nil || !res.IsError {
		t.Errorf("last 7x: %v %v", res, err)
	}
}
