package misp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// GalaxySource prefixes the source of galaxy clusters: "misp-galaxy:" and
// the galaxy's type, e.g. "misp-galaxy:threat-actor".
const GalaxySource = "misp-galaxy:"

var detectGalaxy = regexp.MustCompile(`"(authors|category)"\s*:[\s\S]*"values"\s*:\s*\[|"values"\s*:\s*\[\s*\{\s*"(description|meta|uuid|value|related)"`)

// DetectGalaxy reports whether an input's head is a MISP galaxy cluster
// file ({"authors", "category", "type", "uuid", "values": […]}).
func DetectGalaxy(head []byte) bool {
	return detectGalaxy.Match(head) && strings.Contains(string(head), `"type"`)
}

type related struct {
	DestUUID string `json:"dest-uuid"`
	Type     string `json:"type"`
}

// galaxyKinds maps galaxy types onto threat object kinds; other types keep
// their name.
var galaxyKinds = map[string]string{
	"threat-actor": model.ThreatActor, "ransomware": model.ThreatRansomware,
	"mitre-intrusion-set": model.ThreatIntrusionSet, "mitre-enterprise-attack-intrusion-set": model.ThreatIntrusionSet,
	"mitre-malware": model.ThreatMalware, "mitre-enterprise-attack-malware": model.ThreatMalware, "malpedia": model.ThreatMalware,
	"tool": model.ThreatMalware, "rat": model.ThreatMalware, "backdoor": model.ThreatMalware, "banker": model.ThreatMalware,
	"stealer": model.ThreatMalware, "botnet": model.ThreatMalware, "android": model.ThreatMalware,
	"mitre-tool": model.ThreatTool, "mitre-attack-pattern": model.ThreatAttackPattern,
	"mitre-campaign": model.ThreatCampaign,
}

// attackID matches MITRE ATT&CK ids: groups, software, campaigns, techniques.
var attackID = regexp.MustCompile(`^(G\d{4}|S\d{4}|C\d{4}|T\d{4}(\.\d{3})?)$`)

// ParseGalaxy reads MISP galaxy cluster files: every cluster becomes a
// threat object with source "misp-galaxy:" and the galaxy type, keyed by
// its uuid, and each of its "related" entries a relationship. A cluster
// without a uuid or a value is rejected with its JSON path.
func ParseGalaxy(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	return jsonstream.Each(r, name, func(loc string, value []byte) error {
		var f struct {
			Type   string            `json:"type"`
			Values []json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(value, &f); err != nil {
			return emit(record.Reject(loc, value, "galaxy cluster file: %v", err))
		}
		if f.Type == "" {
			return emit(record.Reject(loc, nil, "galaxy cluster file has no type"))
		}
		base := loc
		if !strings.HasSuffix(base, "$") && !strings.Contains(base, "$[") {
			base += ":$"
		}
		for i, raw := range f.Values {
			if err := ctx.Err(); err != nil {
				return err
			}
			cloc := base + ".values[" + strconv.Itoa(i) + "]"
			var cl cluster
			if err := json.Unmarshal(raw, &cl); err != nil {
				if err := emit(record.Reject(cloc, raw, "cluster: %v", err)); err != nil {
					return err
				}
				continue
			}
			cl.Type = f.Type
			t, err := clusterObject(cl)
			if err != nil {
				if err := emit(record.Reject(cloc, raw, "%v", err)); err != nil {
					return err
				}
				continue
			}
			if err := emit(record.Record{Loc: cloc, Raw: raw, Threat: t}); err != nil {
				return err
			}
			for _, rel := range cl.Related {
				if rel.DestUUID == "" || rel.Type == "" {
					continue
				}
				if err := emit(record.Record{Loc: cloc, Raw: raw, Relation: &model.IntelRelation{Source: t.Source,
					ExternalID: cl.UUID + "-" + rel.Type + "->" + rel.DestUUID, Type: rel.Type, From: cl.UUID, To: rel.DestUUID}}); err != nil {
					return err
				}
			}
		}
		return nil
	}, func(loc string, value []byte, err error) error {
		return emit(record.Reject(loc, value, "not JSON: %v", err))
	})
}

// clusterObject turns a galaxy cluster into a threat object.
func clusterObject(cl cluster) (*model.ThreatObject, error) {
	if cl.UUID == "" {
		return nil, fmt.Errorf("cluster %q has no uuid", cl.Value)
	}
	if strings.TrimSpace(cl.Value) == "" {
		return nil, fmt.Errorf("cluster %s has no value (name)", cl.UUID)
	}
	kind := galaxyKinds[cl.Type]
	if kind == "" {
		kind = cl.Type
	}
	t := &model.ThreatObject{Source: GalaxySource + cl.Type, ExternalID: cl.UUID, Kind: kind, Name: cl.Value, Description: cl.Description}
	var err error
	meta := func(key string) []string {
		if err != nil {
			return nil
		}
		var v []string
		v, err = stringOrList(cl.Meta[key])
		if err != nil {
			err = fmt.Errorf("cluster %s meta %q: %w", cl.UUID, key, err)
		}
		return v
	}
	for _, a := range meta("synonyms") {
		if attackID.MatchString(a) {
			t.AttackIDs = append(t.AttackIDs, a)
		} else if a != "" && a != t.Name {
			t.Aliases = append(t.Aliases, a)
		}
	}
	for _, a := range meta("name-attribution") {
		if id, _, _ := strings.Cut(a, ":"); attackID.MatchString(id) {
			t.AttackIDs = append(t.AttackIDs, id)
		}
	}
	if c := meta("country"); len(c) > 0 {
		t.Country = c[0]
	}
	t.Victims = append(meta("cfr-suspected-victims"), meta("suspected-victims")...)
	t.Sectors = append(append(meta("cfr-target-category"), meta("targeted-sector")...), meta("sector")...)
	if m := append(meta("cfr-type-of-incident"), meta("motive")...); len(m) > 0 {
		t.Motivation = strings.Join(m, ", ")
	}
	for _, r := range meta("refs") {
		if len(t.Refs) < 10 {
			t.Refs = append(t.Refs, r)
		}
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// stringOrList reads a galaxy meta value, which is a string or a list of
// strings; absent is empty.
func stringOrList(v json.RawMessage) ([]string, error) {
	if len(v) == 0 || string(v) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, fmt.Errorf("not a string or a list of strings")
	}
	return list, nil
}
