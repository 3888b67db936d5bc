// Command slim writes the ATT&CK catalog embedded by package attack: it reads
// a MITRE ATT&CK Enterprise STIX 2.0 bundle (gzipped or plain) and keeps only
// what package attack reads, so the binary carries a small, reproducible
// copy.
//
// Kept: attack-pattern, x-mitre-tactic, x-mitre-matrix (for the kill-chain
// order of tactics), intrusion-set, malware, tool and campaign objects, with
// their id, name, description, the mitre-attack external ID, kill-chain
// phases, platforms, sub-technique flag, tactic short name, aliases,
// first/last seen dates and revoked/deprecated flags; and the uses,
// subtechnique-of, attributed-to and revoked-by relationships between kept
// objects, without their own ids and dates. Everything else (data sources,
// data components, detections, timestamps, versions, URLs) is dropped.
//
// The output is gzipped JSON, one object per line, sorted, so running it
// twice on the same input gives the same bytes.
//
// Usage (from internal/attack, see go:generate in its doc.go):
//
//	go run ./internal/slim -in ../../../shared/data/attack/enterprise-attack-18.1-slim.json.gz -out enterprise-attack.json.gz
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"
)

// keptTypes are the STIX object types package attack reads.
var keptTypes = map[string]bool{
	"attack-pattern": true,
	"x-mitre-tactic": true,
	"x-mitre-matrix": true,
	"intrusion-set":  true,
	"malware":        true,
	"tool":           true,
	"campaign":       true,
}

// keptRelationships are the relationship types package attack reads.
var keptRelationships = map[string]bool{
	"uses":            true,
	"subtechnique-of": true,
	"attributed-to":   true,
	"revoked-by":      true,
}

type externalReference struct {
	SourceName string `json:"source_name"`
	ExternalID string `json:"external_id,omitempty"`
}

type killChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// object is the union of the kept fields; field order fixes the output order.
type object struct {
	Type               string              `json:"type"`
	ID                 string              `json:"id,omitempty"`
	Name               string              `json:"name,omitempty"`
	ExternalReferences []externalReference `json:"external_references,omitempty"`
	ShortName          string              `json:"x_mitre_shortname,omitempty"`
	IsSubtechnique     bool                `json:"x_mitre_is_subtechnique,omitempty"`
	KillChainPhases    []killChainPhase    `json:"kill_chain_phases,omitempty"`
	Platforms          []string            `json:"x_mitre_platforms,omitempty"`
	Aliases            []string            `json:"aliases,omitempty"`
	SoftwareAliases    []string            `json:"x_mitre_aliases,omitempty"`
	FirstSeen          string              `json:"first_seen,omitempty"`
	LastSeen           string              `json:"last_seen,omitempty"`
	TacticRefs         []string            `json:"tactic_refs,omitempty"`
	Revoked            bool                `json:"revoked,omitempty"`
	Deprecated         bool                `json:"x_mitre_deprecated,omitempty"`
	Description        string              `json:"description,omitempty"`
	RelationshipType   string              `json:"relationship_type,omitempty"`
	SourceRef          string              `json:"source_ref,omitempty"`
	TargetRef          string              `json:"target_ref,omitempty"`
}

type bundle struct {
	Type        string            `json:"type"`
	ID          string            `json:"id"`
	SpecVersion string            `json:"spec_version"`
	Objects     []json.RawMessage `json:"objects"`
}

func main() {
	in := flag.String("in", "", "ATT&CK STIX bundle to read (.json or .json.gz)")
	out := flag.String("out", "", "gzipped slim bundle to write")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		log.Fatal(err)
	}
}

func run(inPath, outPath string) error {
	f, err := os.Open(inPath)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := readBundle(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", inPath, err)
	}
	objects, rels, err := slim(b.Objects)
	if err != nil {
		return fmt.Errorf("slimming %s: %w", inPath, err)
	}

	var buf bytes.Buffer
	// No name or modification time in the gzip header: the output depends
	// only on the input.
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := writeBundle(zw, b, objects, rels); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(outPath, buf.Bytes(), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s: %d objects, %d relationships, %d bytes", outPath, len(objects), len(rels), buf.Len())
	return nil
}

func readBundle(r io.Reader) (*bundle, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	var b bundle
	if err := json.NewDecoder(r).Decode(&b); err != nil {
		return nil, err
	}
	if b.Type != "bundle" {
		return nil, fmt.Errorf("top-level type is %q, want bundle", b.Type)
	}
	return &b, nil
}

func slim(raw []json.RawMessage) (objects, rels []object, err error) {
	kept := make(map[string]bool)
	var all []object
	for i, m := range raw {
		var o object
		if err := json.Unmarshal(m, &o); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return nil, nil, fmt.Errorf("objects[%d]: %w", i, err)
			}
			// Types this command drops may use field names differently.
			if keptTypes[o.Type] || o.Type == "relationship" {
				return nil, nil, fmt.Errorf("objects[%d] (%s): %w", i, o.Type, err)
			}
			continue
		}
		if keptTypes[o.Type] {
			kept[o.ID] = true
		}
		all = append(all, o)
	}
	for _, o := range all {
		switch {
		case keptTypes[o.Type]:
			o.ExternalReferences = mitreReferences(o.ExternalReferences)
			o.RelationshipType, o.SourceRef, o.TargetRef = "", "", ""
			objects = append(objects, o)
		case o.Type == "relationship" && keptRelationships[o.RelationshipType] && kept[o.SourceRef] && kept[o.TargetRef]:
			rels = append(rels, object{
				Type:             o.Type,
				RelationshipType: o.RelationshipType,
				SourceRef:        o.SourceRef,
				TargetRef:        o.TargetRef,
			})
		}
	}
	slices.SortFunc(objects, func(a, b object) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.ID, b.ID))
	})
	slices.SortFunc(rels, func(a, b object) int {
		return cmp.Or(
			strings.Compare(a.RelationshipType, b.RelationshipType),
			strings.Compare(a.SourceRef, b.SourceRef),
			strings.Compare(a.TargetRef, b.TargetRef))
	})
	rels = slices.CompactFunc(rels, func(a, b object) bool {
		return a.RelationshipType == b.RelationshipType && a.SourceRef == b.SourceRef && a.TargetRef == b.TargetRef
	})
	return objects, rels, nil
}

// mitreReferences keeps the mitre-attack reference (the ATT&CK ID) only.
func mitreReferences(refs []externalReference) []externalReference {
	for _, r := range refs {
		if r.SourceName == "mitre-attack" && r.ExternalID != "" {
			return []externalReference{{SourceName: r.SourceName, ExternalID: r.ExternalID}}
		}
	}
	return nil
}

func writeBundle(w io.Writer, b *bundle, objects, rels []object) error {
	head, err := json.Marshal(struct {
		Type        string `json:"type"`
		ID          string `json:"id"`
		SpecVersion string `json:"spec_version"`
	}{b.Type, b.ID, b.SpecVersion})
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"objects":[`)
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	for i, o := range slices.Concat(objects, rels) {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		line.Reset()
		if err := enc.Encode(o); err != nil {
			return err
		}
		bw.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}
