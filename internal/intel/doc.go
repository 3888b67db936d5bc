// Package intel is Watchfloor's threat intelligence: indicators of
// compromise from STIX, TAXII, MISP and CSV feeds matched against the
// SOC's alerts, and threat profiles ranked for the organisation.
//
// # Matching
//
// Indicators are stored with normalised keys (see package observable).
// A [Matcher] keeps the active indicators' keys in an in-memory [Index]
// and matches each batch of alerts as ingest stores it; [RetroHunt] looks
// for newly arrived indicators in the alerts of the last days (90 by
// default). Both only propose candidates: the store writes a match only
// when the indicator still holds the key and is active (detecting, not
// revoked, not expired), and a match is stored once per indicator, alert
// and key. Listing matches reads the stored matches; nothing scans raw
// alerts per question.
//
// # Threat profiles
//
// [Profiles] merges the embedded MITRE ATT&CK catalog's groups, campaigns
// and malware with what feeds said (STIX intrusion sets, campaigns,
// malware; MISP galaxy threat actors and ransomware families) by ATT&CK id
// and alias, and scores each profile's relevance to the organisation
// profile ([OrgProfile]) with its reasons: sectors and countries it
// targets, its indicators matched in the SOC's alerts, its techniques seen
// in the SOC's alerts, and its techniques on the organisation's platforms.
//
// # Feeds
//
// [Puller] pulls TAXII 2.1 collections (incrementally, per collection),
// MISP feeds (manifest and changed events) and STIX or CSV files or URLs
// through the ingest pipeline, then retro-hunts; [Scheduler] pulls the
// configured feeds on their intervals inside `watchfloor serve`, backing
// off after failures.
package intel
