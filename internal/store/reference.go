package store

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// Reference data and findings: each kind is upserted row by row, and a
// row is only written when it changed.

func (a *applier) teams(b *Batch) error {
	for i, t := range b.Teams {
		if t.Name == "" {
			a.reject(KindTeam, i, "team has no name")
			continue
		}
		r, err := a.exec(`INSERT INTO teams (name, lead) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET lead = excluded.lead WHERE teams.lead <> excluded.lead`, t.Name, t.Lead)
		if err != nil {
			return fmt.Errorf("storing team %q: %w", t.Name, err)
		}
		a.count(KindTeam, r)
	}
	return nil
}

// count records an upsert whose conflict clause only writes changed rows.
func (a *applier) count(k Kind, r sql.Result) {
	if n, _ := r.RowsAffected(); n > 0 {
		a.res.Inserted[k]++ // new or changed; reference data keeps no history
		return
	}
	a.res.Unchanged[k]++
}

func (a *applier) shifts(b *Batch) error {
	for i, sh := range b.Shifts {
		if err := sh.Validate(); err != nil {
			a.reject(KindShift, i, "%v", err)
			continue
		}
		days := jsonText(sh.Days)
		r, err := a.exec(`INSERT INTO shifts (name, start, duration_s, days, time_zone) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET start = excluded.start, duration_s = excluded.duration_s, days = excluded.days, time_zone = excluded.time_zone
			WHERE shifts.start <> excluded.start OR shifts.duration_s <> excluded.duration_s OR shifts.days <> excluded.days OR shifts.time_zone <> excluded.time_zone`,
			sh.Name, sh.Start, int64(sh.Duration/time.Second), days, sh.TimeZone)
		if err != nil {
			return fmt.Errorf("storing shift %q: %w", sh.Name, err)
		}
		a.count(KindShift, r)
		if n, _ := r.RowsAffected(); n > 0 {
			// Cases are grouped by the shift on duty when they were
			// created: every day's rollup changes with the shifts.
			if err := a.loadKPIContext(); err != nil {
				return err
			}
			if err := a.markAllDays(RollupCases); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) analysts(b *Batch) error {
	for i, an := range b.Analysts {
		if an.ExternalID == "" {
			a.reject(KindAnalyst, i, "analyst has no external_id")
			continue
		}
		r, err := a.exec(`INSERT INTO analysts (external_id, name, email, tier, role, team, shift, skills, certifications, active, hourly_cost)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, email = excluded.email, tier = excluded.tier,
				role = excluded.role, team = excluded.team, shift = excluded.shift, skills = excluded.skills,
				certifications = excluded.certifications, active = excluded.active, hourly_cost = excluded.hourly_cost
			WHERE analysts.name <> excluded.name OR analysts.email <> excluded.email OR analysts.tier <> excluded.tier
				OR analysts.role <> excluded.role OR analysts.team <> excluded.team OR analysts.shift <> excluded.shift
				OR analysts.skills <> excluded.skills OR analysts.certifications <> excluded.certifications
				OR analysts.active <> excluded.active OR analysts.hourly_cost <> excluded.hourly_cost`,
			an.ExternalID, an.Name, an.Email, string(an.Tier), an.Role, an.Team, an.Shift,
			jsonText(an.Skills), jsonText(an.Certifications), boolInt(an.Active), an.HourlyCost)
		if err != nil {
			return fmt.Errorf("storing analyst %q: %w", an.ExternalID, err)
		}
		a.count(KindAnalyst, r)
	}
	return nil
}

func (a *applier) rules(b *Batch) error {
	for i, ru := range b.Rules {
		if ru.Source == "" || ru.ExternalID == "" {
			a.reject(KindRule, i, "rule needs a source and an external_id")
			continue
		}
		r, err := a.exec(`INSERT INTO rules (source, external_id, name, description, severity, techniques, tactics, enabled, author,
				status, data_sources, platforms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, external_id) DO UPDATE SET name = excluded.name, description = excluded.description,
				severity = excluded.severity, techniques = excluded.techniques, tactics = excluded.tactics,
				enabled = excluded.enabled, author = excluded.author, status = excluded.status,
				data_sources = excluded.data_sources, platforms = excluded.platforms
			WHERE rules.name <> excluded.name OR rules.description <> excluded.description OR rules.severity <> excluded.severity
				OR rules.techniques <> excluded.techniques OR rules.tactics <> excluded.tactics
				OR rules.enabled <> excluded.enabled OR rules.author <> excluded.author OR rules.status <> excluded.status
				OR rules.data_sources <> excluded.data_sources OR rules.platforms <> excluded.platforms`,
			ru.Source, ru.ExternalID, ru.Name, ru.Description, int(ru.Severity), jsonText(ru.Techniques),
			jsonText(ru.Tactics), boolInt(ru.Enabled), ru.Author, ru.Status, jsonText(ru.DataSources), jsonText(ru.Platforms))
		if err != nil {
			return fmt.Errorf("storing rule %s/%s: %w", ru.Source, ru.ExternalID, err)
		}
		a.count(KindRule, r)
	}
	return nil
}

func (a *applier) slaPolicies(b *Batch) error {
	for i, p := range b.SLA {
		if err := sla.Validate(p); err != nil {
			a.reject(KindSLA, i, "SLA policy %q version %d: %v", p.Name, p.Version, err)
			continue
		}
		var cal string
		if p.Calendar != nil {
			cal = jsonText(p.Calendar)
		}
		// Versions are immutable: a stored version is never rewritten.
		r, err := a.exec(`INSERT INTO sla_policies (name, version, effective_from, targets, pause_statuses, calendar)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, version) DO NOTHING`,
			p.Name, p.Version, p.EffectiveFrom.UnixMicro(), jsonText(p.Targets), jsonText(p.PauseStatuses), cal)
		if err != nil {
			return fmt.Errorf("storing SLA policy %s v%d: %w", p.Name, p.Version, err)
		}
		a.count(KindSLA, r)
		if n, _ := r.RowsAffected(); n > 0 {
			// Every case's SLA outcome may change with a new version.
			if err := a.queueAllFacts(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) findings(b *Batch) error {
	for i, f := range b.Findings {
		if f.Source == "" || f.ExternalID == "" {
			a.reject(KindFinding, i, "finding needs a source and an external_id")
			continue
		}
		if f.Class != model.FindingVulnerability && f.Class != model.FindingCompliance {
			a.reject(KindFinding, i, "finding %s: unknown class %q", f.ExternalID, f.Class)
			continue
		}
		ingested := f.IngestedAt
		if ingested.IsZero() {
			ingested = a.now
		}
		r, err := a.exec(`INSERT INTO findings (source, external_id, class, title, description, severity, status, category,
				resource_name, resource_type, remediation, cves, cvss, first_seen_at, last_seen_at, created_at, ingested_at, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, external_id) DO UPDATE SET class = excluded.class, title = excluded.title,
				description = excluded.description, severity = excluded.severity, status = excluded.status,
				category = excluded.category, resource_name = excluded.resource_name, resource_type = excluded.resource_type,
				remediation = excluded.remediation, cves = excluded.cves, cvss = excluded.cvss,
				first_seen_at = excluded.first_seen_at, last_seen_at = excluded.last_seen_at, raw = excluded.raw
			WHERE findings.raw <> excluded.raw OR findings.status <> excluded.status OR findings.severity <> excluded.severity`,
			f.Source, f.ExternalID, string(f.Class), f.Title, f.Description, int(f.Severity), f.Status, f.Category,
			f.ResourceName, f.ResourceType, f.Remediation, jsonText(f.CVEs), f.CVSS, micros(f.FirstSeenAt),
			micros(f.LastSeenAt), micros(f.CreatedAt), ingested.UnixMicro(), string(f.Raw))
		if err != nil {
			return fmt.Errorf("storing finding %s/%s: %w", f.Source, f.ExternalID, err)
		}
		a.count(KindFinding, r)
	}
	return nil
}
