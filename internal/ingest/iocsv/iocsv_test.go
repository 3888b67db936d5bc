package iocsv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
)

func parse(t *testing.T, p Parser, in string) []record.Record {
	t.Helper()
	var out []record.Record
	if err := p.Parse(context.Background(), strings.NewReader(in), "list.csv", func(r record.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParse(t *testing.T) {
	in := "Value,Type,First Seen,Last Seen,Confidence,Source,TLP,Tags\n" +
		"evil[.]example,domain,2024-01-02,2024-03-04 05:06:07,80,acme-feed,TLP:AMBER,c2;apt\n" +
		"203.0.113.0/24,,,,high,,,\n" +
		"hxxp://evil.example/dl,url,,,,,,\n" +
		"\n" +
		"not a domain!,domain,,,,,,\n" +
		"x.example,domain,,,150,,,\n" +
		"d41d8cd98f00b204e9800998ecf8427e,,,,,,white,\n" +
		"a@b.example,,1700000000,,low,,,\n" +
		"z.example,domain,yesterday,,,,,\n"
	recs := parse(t, Parser{}, in)
	var got []string
	for _, r := range recs {
		if r.Err != nil {
			got = append(got, r.Loc+" reject: "+r.Err.Error())
			continue
		}
		got = append(got, r.Loc+" "+r.Indicator.Source+" "+r.Indicator.ExternalID)
	}
	want := []string{
		"list.csv:2 acme-feed domain:evil.example",
		"list.csv:3 csv cidr:203.0.113.0/24",
		"list.csv:4 csv url:http://evil.example/dl",
		`list.csv:6 reject: value: "not a domain!": not a valid value of its type (character ' ')`,
		`list.csv:7 reject: confidence "150" is not 0–100 or high, medium, low`,
		"list.csv:8 csv md5:d41d8cd98f00b204e9800998ecf8427e",
		"list.csv:9 csv email:a@b.example",
		`list.csv:10 reject: first_seen: "yesterday" is not a time (RFC 3339, YYYY-MM-DD HH:MM:SS or Unix seconds)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	first := recs[0].Indicator
	if first.Confidence != 80 || first.TLP != "amber" || len(first.Labels) != 2 || first.Labels[1] != "apt" ||
		!first.FirstSeen.Equal(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)) ||
		!first.LastSeen.Equal(time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)) || !first.Detect || first.Value != "evil[.]example" {
		t.Errorf("first row: %+v", first)
	}
	if recs[1].Indicator.Confidence != 85 || recs[5].Indicator.TLP != "clear" || recs[6].Indicator.Confidence != 25 ||
		recs[6].Indicator.FirstSeen.Unix() != 1700000000 {
		t.Errorf("rows: %+v %+v %+v", recs[1].Indicator, recs[5].Indicator, recs[6].Indicator)
	}
}

// TestCommentedHeader reads an abuse.ch-style export whose header is the
// last comment before the data.
func TestCommentedHeader(t *testing.T) {
	in := "################\n# ThreatFox IOCs\n#\n# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\",\"confidence_level\"\n" +
		"\"2024-05-01 10:00:00\",\"1\",\"198.51.100.4:443\",\"ip:port\",\"botnet_cc\",\"75\"\n" +
		"\"2024-05-01 11:00:00\",\"2\",\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"sha256_hash\",\"payload\",\"100\"\n"
	if !Detect([]byte(in)) {
		t.Error("not detected")
	}
	recs := parse(t, Parser{Source: "threatfox"}, in)
	if len(recs) != 2 || recs[0].Err != nil || recs[1].Err != nil {
		t.Fatalf("%+v", recs)
	}
	if k := recs[0].Indicator.Observables[0].Key(); k != "ip:198.51.100.4" || recs[0].Loc != "list.csv:5" || recs[0].Indicator.Source != "threatfox" ||
		recs[0].Indicator.Confidence != 75 || recs[0].Indicator.Labels[0] != "botnet_cc" {
		t.Errorf("first: %s %+v", recs[0].Loc, recs[0].Indicator)
	}
	if recs[1].Indicator.Type != string(observable.SHA256) || recs[1].Loc != "list.csv:6" {
		t.Errorf("second: %s %+v", recs[1].Loc, recs[1].Indicator)
	}
}

func TestNoHeader(t *testing.T) {
	recs := parse(t, Parser{}, "1.2.3.4\n5.6.7.8\n")
	if len(recs) != 1 || recs[0].Err == nil || recs[0].Loc != "list.csv:1" {
		t.Fatalf("%+v", recs)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		"value,type\n1.2.3.4,ip\n":                          true,
		"indicator,confidence\nevil.example,80\n":           true,
		"number,incident_state,active\nINC1,New,true\n":     false,
		"value\n1.2.3.4\n":                                  false,
		`{"value": "x", "type": "y"}`:                       false,
		"# comment\nioc_value,ioc_type\nevil.example,dom\n": true,
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestInfer(t *testing.T) {
	for v, want := range map[string]observable.Kind{
		"203.0.113.1": observable.IP, "203.0.113.0/24": observable.CIDR, "198.51.100.4:443": observable.IP, "2001:db8::1": observable.IP,
		"hxxp://a.example/x": observable.URL, "a.example/x": observable.URL, "x@a.example": observable.Email,
		"d41d8cd98f00b204e9800998ecf8427e": observable.Hash, "evil[.]example": observable.Domain, "deadbeef": observable.Domain,
	} {
		if got := Infer(v); got != want {
			t.Errorf("Infer(%q) = %s, want %s", v, got, want)
		}
	}
}
