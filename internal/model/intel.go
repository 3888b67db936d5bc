package model

import (
	"encoding/json"
	"time"
)

// ConfidenceUnknown is an indicator's confidence when its source gives none.
const ConfidenceUnknown = -1

// IndicatorObservable is one normalised value an indicator matches, as
// internal/intel/observable produces it: a kind ("ip", "cidr", "domain",
// "url", "email", "md5", "sha1", "sha256", "sha512", or another type's
// name) and the normalised value.
type IndicatorObservable struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Key is the observable's lookup key, kind:value.
func (o IndicatorObservable) Key() string { return o.Kind + ":" + o.Value }

// Indicator is a threat-intelligence indicator of compromise from a feed:
// a STIX indicator, a MISP attribute or a row of an IoC list. Its values
// and texts are attacker-influenced data.
type Indicator struct {
	ID int64 `json:"id,omitempty"`
	// Source names the feed, e.g. "misp:chrome-mal-ids" or
	// "taxii:example.org/collections/91a7…"; with ExternalID it identifies
	// the indicator, so ingesting it again is idempotent.
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	// Type is the kind of the first observable, for display.
	Type string `json:"type"`
	// Value is the first value as the source wrote it.
	Value string `json:"value"`
	// Pattern is the STIX pattern an indicator came from, when any.
	Pattern string `json:"pattern,omitempty"`
	// Observables are what the indicator matches, normalised.
	Observables []IndicatorObservable `json:"observables"`
	Name        string                `json:"name,omitempty"`
	Description string                `json:"description,omitempty"`
	// Labels are the source's indicator types, labels and tags.
	Labels []string `json:"labels,omitempty"`
	// Confidence is 0–100, or ConfidenceUnknown.
	Confidence int `json:"confidence"`
	// TLP is the traffic-light marking: clear, green, amber, amber+strict
	// or red; empty when not marked.
	TLP        string    `json:"tlp,omitempty"`
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Revoked indicators never match.
	Revoked bool `json:"revoked,omitempty"`
	// Detect is false for context the source says not to detect on (MISP
	// attributes without to_ids); such indicators never match.
	Detect    bool      `json:"detect"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// Modified is the source's version of the indicator: a stored version
	// is replaced only by a newer one.
	Modified   time.Time       `json:"modified,omitzero"`
	IngestedAt time.Time       `json:"ingested_at,omitzero"`
	Raw        json.RawMessage `json:"raw,omitempty"`
}

// Active reports whether the indicator may match at time now: it detects,
// is not revoked and has not expired.
func (i *Indicator) Active(now time.Time) bool {
	return i.Detect && !i.Revoked && (i.ValidUntil.IsZero() || i.ValidUntil.After(now))
}

// Threat object kinds.
const (
	ThreatIntrusionSet  = "intrusion-set"
	ThreatActor         = "threat-actor"
	ThreatCampaign      = "campaign"
	ThreatMalware       = "malware"
	ThreatTool          = "tool"
	ThreatRansomware    = "ransomware"
	ThreatAttackPattern = "attack-pattern"
	ThreatIdentity      = "identity"
	ThreatLocation      = "location"
)

// ThreatObject is what a feed says about an adversary, a campaign or a
// piece of malware (a STIX intrusion set, threat actor, campaign or
// malware; a MISP galaxy cluster), or an object those refer to (a STIX
// attack pattern, identity or location). Threat profiles are built from
// these, merged by alias.
type ThreatObject struct {
	ID         int64  `json:"id,omitempty"`
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	// Kind is one of the Threat* kinds.
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases,omitempty"`
	Description string   `json:"description,omitempty"`
	// Country is where the adversary is said to operate from.
	Country string `json:"country,omitempty"`
	// Victims are the countries and regions it targets (for a location
	// object: the place itself).
	Victims []string `json:"victims,omitempty"`
	// Sectors are the sectors and categories of victims it targets (for an
	// identity object: the identity's sectors).
	Sectors []string `json:"sectors,omitempty"`
	// Motivation is the kind of activity: espionage, financial crime …
	Motivation string `json:"motivation,omitempty"`
	// AttackIDs are the MITRE ATT&CK ids the object names as itself or
	// as its techniques (G0007, S0367, C0022, T1059.001).
	AttackIDs []string `json:"attack_ids,omitempty"`
	// Techniques are ATT&CK technique ids the object is said to use.
	Techniques []string `json:"techniques,omitempty"`
	// Refs are reference URLs.
	Refs      []string  `json:"refs,omitempty"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	Modified  time.Time `json:"modified,omitzero"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// IntelRelation is a relationship a feed states between two of its
// objects: indicator indicates intrusion set, intrusion set uses attack
// pattern, targets identity or location, campaign attributed to intrusion
// set. From and To are external ids, or "name:" and a name for targets a
// feed names without an id (MISP galaxy tags).
type IntelRelation struct {
	Source     string    `json:"source"`
	ExternalID string    `json:"external_id"`
	Type       string    `json:"type"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Modified   time.Time `json:"modified,omitzero"`
	Revoked    bool      `json:"revoked,omitempty"`
}
