package ingest

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/watchfloor/watchfloor/internal/ingest/asff"
	"github.com/watchfloor/watchfloor/internal/ingest/chronicle"
	"github.com/watchfloor/watchfloor/internal/ingest/iocsv"
	"github.com/watchfloor/watchfloor/internal/ingest/misp"
	"github.com/watchfloor/watchfloor/internal/ingest/native"
	"github.com/watchfloor/watchfloor/internal/ingest/ocsf"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/scc"
	"github.com/watchfloor/watchfloor/internal/ingest/servicenow"
	"github.com/watchfloor/watchfloor/internal/ingest/stix"
	"github.com/watchfloor/watchfloor/internal/ingest/thehive"
)

// Format is an input format Watchfloor can ingest.
type Format struct {
	Name        string
	Description string
	Parser      record.Parser
	// Detect reports whether the head of an input is in this format; nil
	// means the format is only used when named.
	Detect func(head []byte) bool
}

// formats are tried in this order when detecting.
var formats = []Format{
	{Name: "servicenow", Description: "ServiceNow incident audit export (CSV, one row per update): one case per incident, its state history replayed into the event log", Parser: record.ParserFunc(servicenow.Parse), Detect: servicenow.Detect},
	{Name: "asff", Description: "AWS Security Hub findings (ASFF 2018-10-08; GetFindings, BatchImportFindings or EventBridge envelopes): vulnerabilities and control failures as posture findings", Parser: record.ParserFunc(asff.Parse), Detect: asff.Detect},
	{Name: "scc", Description: "Google Security Command Center v2 findings (bare, findings.list results or Pub/Sub notifications): vulnerabilities and misconfigurations as posture findings", Parser: record.ParserFunc(scc.Parse), Detect: scc.Detect},
	{Name: "ocsf", Description: "OCSF 1.x findings: Detection 2004 and Security 2001 as alerts, Incident 2005 as cases, Vulnerability 2002 and Compliance 2003 as posture findings", Parser: record.ParserFunc(ocsf.Parse), Detect: ocsf.Detect},
	{Name: "chronicle", Description: "Google SecOps (Chronicle) SOAR cases, case alerts and comments, legacy and 1P API keys, wrapped or bare", Parser: record.ParserFunc(chronicle.Parse), Detect: chronicle.Detect},
	{Name: "thehive", Description: "TheHive 5 (and 3/4) alerts and cases, including webhook payloads", Parser: record.ParserFunc(thehive.Parse), Detect: thehive.Detect},
	{Name: "stix", Description: "STIX 2.0/2.1 bundles, TAXII envelopes or objects: indicators (patterns' values), intrusion sets, threat actors, campaigns, malware and their relationships", Parser: stix.Parser{}, Detect: stix.Detect},
	{Name: "misp", Description: "MISP events ({\"Event\": …}, as in a MISP feed): attributes as indicators (to_ids decides matching), galaxy clusters as threat objects", Parser: misp.Parser{}, Detect: misp.Detect},
	{Name: "misp-galaxy", Description: "MISP galaxy cluster files: threat actors (victims, sectors, ATT&CK group ids), ransomware families, malware", Parser: record.ParserFunc(misp.ParseGalaxy), Detect: misp.DetectGalaxy},
	{Name: "iocsv", Description: "indicator lists in CSV with a header: value, type, first_seen, last_seen, confidence, source …", Parser: iocsv.Parser{}, Detect: iocsv.Detect},
	{Name: "native", Description: "Watchfloor JSON/NDJSON, each object typed by its \"record\" key", Parser: native.Parser{}, Detect: native.Detect},
	{Name: "alerts", Description: "Watchfloor JSON/NDJSON alerts (\"record\" key optional)", Parser: native.Parser{Default: native.TypeAlert}},
	{Name: "cases", Description: "Watchfloor JSON/NDJSON cases (\"record\" key optional)", Parser: native.Parser{Default: native.TypeCase}},
	{Name: "case-events", Description: "Watchfloor JSON/NDJSON case events (\"record\" key optional)", Parser: native.Parser{Default: native.TypeCaseEvent}},
	{Name: "analysts", Description: "Watchfloor JSON/NDJSON analysts (\"record\" key optional)", Parser: native.Parser{Default: native.TypeAnalyst}},
	{Name: "rules", Description: "Watchfloor JSON/NDJSON detection rules (\"record\" key optional)", Parser: native.Parser{Default: native.TypeRule}},
}

// Formats lists the formats, sorted by name.
func Formats() []Format {
	out := append([]Format(nil), formats...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the named format.
func Lookup(name string) (Format, error) {
	for _, f := range formats {
		if f.Name == name {
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("unknown format %q (known: %s)", name, strings.Join(names(), ", "))
}

func names() []string {
	var out []string
	for _, f := range Formats() {
		out = append(out, f.Name)
	}
	return out
}

// Detect picks the format of an input from its first bytes.
func Detect(head []byte) (Format, error) {
	for _, f := range formats {
		if f.Detect != nil && f.Detect(head) {
			return f, nil
		}
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return Lookup("native") // empty input: nothing to parse, any parser will do
	}
	return Format{}, fmt.Errorf("cannot tell the input format from its start; name it with --format (one of %s)", strings.Join(names(), ", "))
}
