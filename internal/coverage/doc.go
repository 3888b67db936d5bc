// Package coverage is detection coverage: which ATT&CK techniques the
// SOC's detection rules cover, how well, and how that changes over time.
//
// # Content
//
// [Read] loads a folder of detection content — Sigma rules, Splunk
// security_content (ESCU) detections or native rule records — into
// [store.ImportedRule] values with their ATT&CK techniques and tactics,
// lifecycle status (stable, test, experimental, deprecated), level and
// data sources; a file that is not a valid rule is reported with its path
// and reason and the others still load. [Service.Import] stores them.
//
// # Linking
//
// Coverage counts two kinds of rules: the rules stored with alerts (the
// SIEM's rule catalog, store.RuleCatalog) and the imported content. An
// alert is credited to a rule when its rule id equals the rule's id, or,
// failing that, its rule name equals the rule's title, both compared
// without regard to case; an imported rule that matches a stored rule the
// same way is one rule, not two ([Link]).
package coverage
