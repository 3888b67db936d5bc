// Package runbook is the SOC's runbook program: the registry of runbooks
// written as Markdown with YAML front matter (as in the AI-runbooks bank),
// their versions, the executions recorded in case logs, and how effective
// each runbook is.
//
// # Documents
//
// [Parse] reads one file. The front matter carries the bank's fields
// (title, type, category, status, tags) and optional ones: id, version (the
// author's label), owner, applies_to (rules, alert types, techniques),
// required_skills, required_certifications, review_interval, last_reviewed
// and aliases. A runbook without an id takes its path inside the synced
// folder, without ".md" ("irps/phishing_response"). Phases and steps come
// from the body: when headings name phases ("Phase 2: Identification")
// those are the phases, otherwise every section holding a numbered or
// checkbox list is one; a phase's steps are the outermost items of those
// lists. Reference sections (objective, scope, inputs, tools, rubric …)
// hold no steps. Steps are keyed "phase.step" ("2.3").
//
// Links between runbooks are Markdown links and code spans naming a .md
// file. [Load] resolves each against the folder: relative to the linking
// file, then to the folder's root (the bank writes "common_steps/x.md"
// from sub-folders), then as a repository path ending in the folder
// ("rules_bank/run_books/x.md"). What resolves nowhere is a broken link,
// reported with the file and line that wrote it.
//
// # Versions and executions
//
// A sync stores a new version of every runbook whose file changed; an
// unchanged folder stores nothing. Executions are not stored apart: they
// are derived from the runbook events in case logs ([Derive]), so the log
// stays the one record of what happened. A run of a runbook is the events
// sharing its run id on one case (an event without one is a run of its
// own); its version is the one recorded, else the one in force when it
// started; steps not completed in a finished run count as skipped.
//
// # Effectiveness
//
// [Build] measures usage, duration (median and p90 as exact nearest-rank
// order statistics), outcomes and step skip rates per runbook and version,
// compares cases handled with and without a runbook within the same
// priority and rule, and lists rules with no runbook, runbooks overdue for
// review or never used, and a continuous-improvement list derived from all
// of these.
package runbook
