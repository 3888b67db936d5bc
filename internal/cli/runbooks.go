package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
)

// RunbookEventSource is the source of the runbook events the CLI records.
const RunbookEventSource = "watchfloor"

func (a *app) runbooksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runbooks",
		Short: "The runbook program: sync a folder of Markdown runbooks, list and show them, record runs, measure them",
	}
	cmd.AddCommand(a.runbooksSyncCommand(), a.runbooksListCommand(), a.runbooksShowCommand(), a.runbooksMetricsCommand(),
		a.runbooksRecordCommand(), a.runbooksRunsCommand(), a.runbooksImportTasksCommand())
	return cmd
}

func (a *app) runbooksSyncCommand() *cobra.Command {
	var source string
	cmd := &cobra.Command{
		Use:   "sync DIR",
		Short: "Load a folder of Markdown runbooks with YAML front matter into the registry",
		Long: `Sync reads every .md file under DIR (hidden files and folders skipped),
parses its front matter, phases, steps and links, and stores a new version of
each runbook whose file changed; an unchanged runbook gets no new version.
Runbooks synced from the same source before and missing now are marked
removed. Files that are not valid runbooks are reported file by file (exit
status 2) and the valid ones still load; links to files not in the folder
are reported with the file and line that wrote them.`,
		Example: `  watchfloor runbooks sync ../shared/data/ai-runbooks/rules_bank/run_books`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return fmt.Errorf("%s is not a folder", args[0])
			}
			if source == "" {
				source = dir
			}
			st, err := store.Open(cmd.Context(), a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := runbook.Sync(cmd.Context(), st, os.DirFS(dir), filepath.ToSlash(dir), source, time.Now())
			if err != nil {
				return err
			}
			if err := a.renderSync(res); err != nil {
				return err
			}
			if len(res.Problems) > 0 {
				return &exitError{code: ExitRejects, err: fmt.Errorf("%d of %d files are not valid runbooks (listed above); the others are stored",
					len(res.Problems), res.Files)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "name of the folder in the registry (default: its absolute path)")
	return cmd
}

func (a *app) renderSync(res runbook.SyncResult) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: res})
	}
	t := output.Table{Title: fmt.Sprintf("Sync %d from %s: %d files, %d added, %d updated, %d unchanged, %d removed", res.ID, res.Source,
		res.Files, res.Count(runbook.Added), res.Count(runbook.Updated), res.Count(runbook.Unchanged)+res.Count(runbook.Restored),
		res.Count(runbook.Removed)), Columns: []string{"runbook", "action", "version", "path"}}
	for _, c := range res.Changes {
		if c.Action != runbook.Unchanged {
			t.Rows = append(t.Rows, []string{c.ID, c.Action, strconv.Itoa(c.Version), c.Path})
		}
	}
	if err := a.render(t); err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		pt := output.Table{Title: "Files not loaded", Columns: []string{"file", "line", "reason"}}
		for _, p := range res.Problems {
			pt.Rows = append(pt.Rows, []string{p.Path, lineText(p.Line), p.Reason})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(pt); err != nil {
			return err
		}
	}
	if len(res.Broken) > 0 {
		bt := output.Table{Title: "Broken links", Columns: []string{"file", "line", "link", "why"}}
		for _, b := range res.Broken {
			bt.Rows = append(bt.Rows, []string{b.From, strconv.Itoa(b.Line), b.Target, b.Broken})
		}
		fmt.Fprintln(a.stdout)
		return a.render(bt)
	}
	return nil
}

func lineText(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// openRegistry opens the store (filling it with the demo when asked) and
// reads the runbook registry. A reader (write false) refuses a missing store
// instead of creating an empty one.
func (a *app) openRegistry(ctx context.Context, write bool) (*store.Store, *runbook.Registry, error) {
	open := a.openRead
	if write {
		open = a.open
	}
	st, err := open(ctx)
	if err != nil {
		return nil, nil, err
	}
	reg, err := registry(ctx, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, reg, nil
}

// registry reads the runbook registry.
func registry(ctx context.Context, st *store.Store) (*runbook.Registry, error) {
	entries, err := st.RunbookEntries(ctx)
	if err != nil {
		return nil, err
	}
	return runbook.NewRegistry(entries), nil
}

func (a *app) runbooksListCommand() *cobra.Command {
	var kind string
	var removed bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the runbooks in the registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, reg, err := a.openRegistry(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			rows := reg.Rows(kind, removed)
			t := output.Table{Title: fmt.Sprintf("%d runbooks", len(rows)), JSON: rows,
				Columns: []string{"id", "type", "title", "status", "version", "steps", "broken links", "updated", "review due"}}
			for _, r := range rows {
				id := r.ID
				if r.Removed {
					id += " (removed)"
				}
				t.Rows = append(t.Rows, []string{id, r.Type, r.Title, r.Status, strconv.Itoa(r.Version), strconv.Itoa(r.Steps),
					strconv.Itoa(r.BrokenLinks), r.UpdatedAt.Format(time.DateOnly), dateText(r.ReviewDue, "—")})
			}
			return a.render(t)
		},
	}
	cmd.Flags().StringVar(&kind, "type", "", "only runbooks of this type (runbook, irp …)")
	cmd.Flags().BoolVar(&removed, "removed", false, "include runbooks no longer in their folder")
	a.addDemoFlag(cmd)
	return cmd
}

// dateText is t's date, none when t is zero.
func dateText(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.Format(time.DateOnly)
}

func (a *app) runbooksShowCommand() *cobra.Command {
	var version int
	var body bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a runbook: its front matter, phases and steps, links and versions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, reg, err := a.openRegistry(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			e := reg.Lookup(args[0])
			if e == nil {
				return fmt.Errorf("no runbook %q in the registry (see runbooks list)", args[0])
			}
			v := e.Current()
			if version != 0 {
				if v = e.Version(version); v == nil {
					return fmt.Errorf("runbook %s has no version %d (it has 1 to %d)", e.ID, version, len(e.Versions))
				}
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: struct {
					*runbook.Entry
					Shown int `json:"shown_version"`
				}{e, v.Version}})
			}
			return a.renderRunbook(e, v, body)
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "show this version (default: the current one)")
	cmd.Flags().BoolVar(&body, "body", false, "print the Markdown body too")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) renderRunbook(e *runbook.Entry, v *runbook.Version, body bool) error {
	d := v.Doc
	var skills []string
	for _, s := range d.RequiredSkills {
		skills = append(skills, fmt.Sprintf("%s (level %d)", s.Skill, s.Level))
	}
	facts := output.Table{Title: fmt.Sprintf("%s — version %d of %d", e.ID, v.Version, len(e.Versions)), Columns: []string{"field", "value"}}
	add := func(k, v string) {
		if v != "" {
			facts.Rows = append(facts.Rows, []string{k, v})
		}
	}
	add("title", d.Title)
	add("type", d.Type)
	add("category", d.Category)
	add("status", d.Status)
	add("path", d.Path)
	add("label", d.Label)
	add("owner", d.Owner)
	add("tags", strings.Join(d.Tags, ", "))
	add("applies to rules", strings.Join(d.AppliesTo.Rules, ", "))
	add("applies to alert types", strings.Join(d.AppliesTo.AlertTypes, ", "))
	add("applies to techniques", strings.Join(d.AppliesTo.Techniques, ", "))
	add("required skills", strings.Join(skills, ", "))
	add("required certifications", strings.Join(d.RequiredCertifications, ", "))
	add("review interval", d.ReviewInterval.String())
	add("review due", dateText(e.ReviewDue(), ""))
	add("synced", v.SyncedAt.Format(time.RFC3339))
	if !e.RemovedAt.IsZero() {
		add("removed", e.RemovedAt.Format(time.RFC3339))
	}
	if err := a.render(facts); err != nil {
		return err
	}
	steps := output.Table{Title: "Phases and steps", Columns: []string{"step", "phase", "title", "line"}}
	for _, p := range d.Phases {
		if len(p.Steps) == 0 {
			steps.Rows = append(steps.Rows, []string{"", p.Title, "(no numbered steps)", strconv.Itoa(p.Line)})
		}
		for _, s := range p.Steps {
			steps.Rows = append(steps.Rows, []string{s.Key, p.Title, s.Title, strconv.Itoa(s.Line)})
		}
	}
	fmt.Fprintln(a.stdout)
	if err := a.render(steps); err != nil {
		return err
	}
	if len(d.Links) > 0 {
		lt := output.Table{Title: "Links", Columns: []string{"line", "step", "link", "resolves to"}}
		for _, l := range d.Links {
			to := l.Path
			if l.Broken != "" {
				to = "BROKEN: " + l.Broken
			}
			lt.Rows = append(lt.Rows, []string{strconv.Itoa(l.Line), l.Step, l.Target, to})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(lt); err != nil {
			return err
		}
	}
	vt := output.Table{Title: "Versions", Columns: []string{"version", "synced", "steps", "hash"}}
	for _, x := range e.Versions {
		vt.Rows = append(vt.Rows, []string{strconv.Itoa(x.Version), x.SyncedAt.Format(time.RFC3339), strconv.Itoa(len(x.Doc.Steps())), x.Doc.Hash[:12]})
	}
	fmt.Fprintln(a.stdout)
	if err := a.render(vt); err != nil {
		return err
	}
	if body {
		fmt.Fprintln(a.stdout)
		fmt.Fprintln(a.stdout, output.Terminal(d.Body))
	}
	return nil
}

func (a *app) runbooksMetricsCommand() *cobra.Command {
	var wf windowFlags
	var only string
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Runbook effectiveness: usage, duration, outcomes, skipped steps, cases with vs without, gaps, improvements",
		Long: `Metrics measures the runbook program over a window (default the last 90 days
ending with the newest data): runs per runbook and version, median and p90
duration, outcomes and step skip rates; the KPIs of cases that ran a runbook
against comparable cases (same priority and rule) that did not, with sample
sizes; rules and alert types no runbook applies to; runbooks overdue for
review or never used; and a continuous-improvement list derived from these.`,
		Args: cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			svc := metrics.NewService(st, nil)
			res, err := svc.Resolve(cmd.Context(), wf.query())
			if err != nil {
				return err
			}
			w := res.Window
			rules, err := svc.Engine().Rules(cmd.Context(), w)
			if err != nil {
				return err
			}
			rep, err := runbook.Measure(cmd.Context(), st, w.String(), w.From, w.To, time.Now().UTC(), rules.RuleVolumes())
			if err != nil {
				return err
			}
			if only != "" && !rep.Only(only) {
				return fmt.Errorf("no runbook %q in the registry (see runbooks list)", only)
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			return a.renderRunbookMetrics(rep, only != "")
		}),
	}
	wf.add(cmd)
	cmd.Flags().Lookup("timeframe").DefValue = "quarterly"
	wf.timeframe = "quarterly"
	cmd.Flags().StringVar(&only, "runbook", "", "only this runbook, with its versions and steps")
	a.addDemoFlag(cmd)
	return cmd
}

func pctOrDash(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100**v)
}

func durOrDash(d runbook.Durations, median bool) string {
	if d.Count == 0 {
		return "—"
	}
	if median {
		return fmtDur(d.Median)
	}
	return fmtDur(d.P90)
}

// marginText writes a difference with its 95 % margin, and "(no
// difference)" when the margin covers zero.
func marginText(d, m *float64) string {
	if d == nil || m == nil {
		return "—"
	}
	txt := signedDur(d) + " ± " + fmtDur(*m)
	if !runbook.Significant(d, m) {
		txt += " (none shown)"
	}
	return txt
}

func signedDur(v *float64) string {
	if v == nil {
		return "—"
	}
	if *v < 0 {
		return "−" + fmtDur(-*v)
	}
	return "+" + fmtDur(*v)
}

func (a *app) renderRunbookMetrics(rep *runbook.Report, detail bool) error {
	fmt.Fprintf(a.stdout, "Runbook program %s: %d runs on %d cases; %d runbook events unreadable.\n\n", rep.Window, rep.Runs, rep.CasesWithRuns, rep.Unreadable)
	t := output.Table{Title: "Runbooks (runs started in the window)", Columns: []string{"runbook", "type", "version", "runs", "cases", "analysts",
		"median", "p90", "completed", "escalated", "aborted", "failed", "in progress", "last run", "review"}}
	for _, s := range rep.Runbooks {
		review := dateText(s.ReviewDue, "—")
		if s.Overdue {
			review += " OVERDUE"
		}
		t.Rows = append(t.Rows, []string{s.ID, s.Type, strconv.Itoa(s.Version), strconv.Itoa(s.Runs), strconv.Itoa(s.Cases), strconv.Itoa(s.Analysts),
			durOrDash(s.Duration, true), durOrDash(s.Duration, false), strconv.Itoa(s.Outcomes[runbook.OutcomeCompleted]),
			strconv.Itoa(s.Outcomes[runbook.OutcomeEscalated]), strconv.Itoa(s.Outcomes[runbook.OutcomeAborted]),
			strconv.Itoa(s.Outcomes[runbook.OutcomeFailed]), strconv.Itoa(s.Outcomes[runbook.OutcomeInProgress]), dateText(s.LastRun, "—"), review})
	}
	if err := a.render(t); err != nil {
		return err
	}
	ct := output.Table{Title: "Cases with vs without the runbook (same priority and rule; cases created in the window, tests excluded)",
		Columns: []string{"runbook", "strata", "with", "without", "unmatched", "adoption", "MTTR with", "MTTR without", "difference",
			"MTTA difference", "SLA with", "SLA without"}}
	for _, s := range rep.Runbooks {
		c := s.Comparison
		if c == nil {
			continue
		}
		ct.Rows = append(ct.Rows, []string{s.ID, strconv.Itoa(c.Strata), strconv.Itoa(c.With.Cases), strconv.Itoa(c.Without.Cases),
			strconv.Itoa(c.UnmatchedWith), pctOrDash(c.Adoption),
			fmt.Sprintf("%s (n=%d)", durOrDash(c.With.MTTR, true), c.With.MTTR.Count),
			fmt.Sprintf("%s (n=%d)", durOrDash(c.Without.MTTR, true), c.Without.MTTR.Count),
			marginText(c.MTTRDifference, c.MTTRMargin), marginText(c.MTTADifference, c.MTTAMargin),
			fmt.Sprintf("%s of %d", pctOrDash(c.With.SLAAdherence), c.With.SLAMet+c.With.SLABreached),
			fmt.Sprintf("%s of %d", pctOrDash(c.Without.SLAAdherence), c.Without.SLAMet+c.Without.SLABreached)})
	}
	if len(ct.Rows) > 0 {
		fmt.Fprintln(a.stdout)
		if err := a.render(ct); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, "MTTR columns are medians; differences are of stratum means, weighted by the runbook's cases, with their 95% margins.")
	}
	if detail {
		for _, s := range rep.Runbooks {
			for _, v := range s.Versions {
				vt := output.Table{Title: fmt.Sprintf("%s version %d (synced %s): %d runs, median %s, p90 %s; steps over %d finished runs that record them",
					s.ID, v.Version, v.SyncedAt.Format(time.DateOnly), v.Runs, durOrDash(v.Duration, true), durOrDash(v.Duration, false), v.StepRuns),
					Columns: []string{"step", "title", "completed", "skipped", "failed", "skip rate"}}
				for _, st := range v.Steps {
					vt.Rows = append(vt.Rows, []string{st.Key, st.Title, strconv.Itoa(st.Completed), strconv.Itoa(st.Skipped), strconv.Itoa(st.Failed),
						pctOrDash(st.SkipRate)})
				}
				fmt.Fprintln(a.stdout)
				if err := a.render(vt); err != nil {
					return err
				}
			}
		}
	}
	if len(rep.RulesWithout) > 0 {
		rt := output.Table{Title: "Rules no runbook applies to", Columns: []string{"rule", "name", "tactics", "alerts", "cases", "cases a detection runbook ran on"}}
		for _, g := range rep.RulesWithout[:min(len(rep.RulesWithout), 20)] {
			rt.Rows = append(rt.Rows, []string{g.ID, g.Name, strings.Join(g.Tactics, ", "), strconv.FormatInt(g.Alerts, 10), strconv.Itoa(g.Cases),
				strconv.Itoa(g.CasesWithRuns)})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(rt); err != nil {
			return err
		}
		if n := len(rep.RulesWithout); n > 20 {
			fmt.Fprintf(a.stdout, "… and %d more (-o json lists them all).\n", n-20)
		}
	}
	if len(rep.TypesWithout) > 0 {
		tt := output.Table{Title: "Alert types (ATT&CK tactics) no runbook covers", Columns: []string{"type", "rules", "alerts", "cases"}}
		for _, g := range rep.TypesWithout {
			tt.Rows = append(tt.Rows, []string{g.Type, strconv.Itoa(g.Rules), strconv.FormatInt(g.Alerts, 10), strconv.Itoa(g.Cases)})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(tt); err != nil {
			return err
		}
	}
	if len(rep.Unregistered) > 0 {
		ut := output.Table{Title: "Runs of runbooks not in the registry", Columns: []string{"name", "runs", "cases"}}
		for _, u := range rep.Unregistered {
			ut.Rows = append(ut.Rows, []string{u.Name, strconv.Itoa(u.Runs), strconv.Itoa(u.Cases)})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(ut); err != nil {
			return err
		}
	}
	it := output.Table{Title: "Continuous improvement (most cases or runs concerned first)", Columns: []string{"#", "runbook or rule", "action", "evidence", "concerns"}}
	for i, im := range rep.Improvements {
		it.Rows = append(it.Rows, []string{strconv.Itoa(i + 1), im.Runbook + im.Rule, im.Action, im.Evidence, strconv.Itoa(im.Affected)})
	}
	fmt.Fprintln(a.stdout)
	return a.render(it)
}

func (a *app) runbooksRecordCommand() *cobra.Command {
	var r runbook.Record
	var completed, skipped, failed []string
	var started, finished, actor string
	cmd := &cobra.Command{
		Use:   "record CASE",
		Short: "Record a runbook run (or part of one) on a case: steps completed, skipped or failed, and how it ended",
		Long: `Record appends runbook events to the case's log (CASE is a Watchfloor case id
or SOURCE/EXTERNAL_ID): one per step named, the last with the outcome. The
records of one run share --run, so a run can be recorded step by step and
finished later with --outcome. Steps are named by key (2.3) or title.`,
		Example: `  watchfloor runbooks record demo/C-000042 --runbook irps/phishing --run r1 \
      --completed 1.1,1.2,2.1 --skipped 1.3 --outcome completed --started 2026-03-02T10:00:00Z`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			for _, p := range []struct {
				s   string
				t   *time.Time
				arg string
			}{{started, &r.StartedAt, "--started"}, {finished, &r.FinishedAt, "--finished"}} {
				if p.s == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, p.s)
				if err != nil {
					return fmt.Errorf("%s: %w", p.arg, err)
				}
				*p.t = t
			}
			r.Completed, r.Skipped, r.Failed = completed, skipped, failed
			if actor == "" {
				actor = os.Getenv("USER")
			}
			if strings.TrimSpace(actor) == "" {
				return errors.New("--actor: name who ran it")
			}
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			c, err := st.CaseByRef(ctx, args[0])
			if err != nil {
				return err
			}
			x, ids, err := runbook.RecordRun(ctx, st, c, r, actor, RunbookEventSource, "cli:"+rand.Text(), time.Now())
			if err != nil {
				return err
			}
			return a.renderRuns([]runbook.Execution{x}, fmt.Sprintf("Recorded %d events on case %s/%s", len(ids), c.Source, c.ExternalID))
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.Runbook, "runbook", "", "runbook id, path, title or alias (required)")
	f.StringVar(&r.Run, "run", "", "name of the run, shared by its records (required)")
	f.IntVar(&r.Version, "version", 0, "version run (default: the current one)")
	f.StringSliceVar(&completed, "completed", nil, "steps completed (keys or titles, comma-separated)")
	f.StringSliceVar(&skipped, "skipped", nil, "steps skipped")
	f.StringSliceVar(&failed, "failed", nil, "steps failed")
	f.StringVar(&r.Outcome, "outcome", "", "how the run ended: completed, failed, aborted or escalated (none while in progress)")
	f.StringVar(&started, "started", "", "when the run started (RFC 3339)")
	f.StringVar(&finished, "finished", "", "when it finished (RFC 3339; default now)")
	f.StringVar(&actor, "actor", "", "who ran it (default $USER)")
	cmd.MarkFlagRequired("runbook")
	cmd.MarkFlagRequired("run")
	return cmd
}

func (a *app) runbooksRunsCommand() *cobra.Command {
	var wf windowFlags
	var only, caseRef string
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List runbook runs derived from case logs: runbook, version, case, who, start and end, steps, outcome",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			ctx := cmd.Context()
			var execs []runbook.Execution
			var from, to time.Time
			title := ""
			if caseRef != "" {
				c, err := st.CaseByRef(ctx, caseRef)
				if err != nil {
					return err
				}
				reg, err := registry(ctx, st)
				if err != nil {
					return err
				}
				log, err := st.CaseEvents(ctx, c.ID)
				if err != nil {
					return err
				}
				execs = runbook.CaseRuns(reg, c, log)
				title = "Runs on case " + c.Source + "/" + c.ExternalID
			} else {
				res, err := metrics.NewService(st, nil).Resolve(ctx, wf.query())
				if err != nil {
					return err
				}
				w := res.Window
				if _, execs, _, err = runbook.Executions(ctx, st, w.From, w.To); err != nil {
					return err
				}
				from, to, title = w.From, w.To, "Runs started "+w.String()
			}
			execs = runbook.Newest(execs, from, to, only)
			total := len(execs)
			if limit > 0 && len(execs) > limit {
				execs = execs[:limit]
			}
			return a.renderRuns(execs, fmt.Sprintf("%s: %d runs, newest first (showing %d)", title, total, len(execs)))
		}),
	}
	wf.add(cmd)
	cmd.Flags().StringVar(&only, "runbook", "", "only runs of this runbook (registry id)")
	cmd.Flags().StringVar(&caseRef, "case", "", "only runs on this case (id or SOURCE/EXTERNAL_ID)")
	cmd.Flags().IntVar(&limit, "limit", 50, "most runs to list (0: all)")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) renderRuns(execs []runbook.Execution, title string) error {
	t := output.Table{Title: title, JSON: execs, Columns: []string{"case", "runbook", "version", "run", "analysts", "started", "took",
		"outcome", "completed", "skipped", "failed"}}
	if execs == nil {
		t.JSON = []runbook.Execution{}
	}
	for _, x := range execs {
		v := "—"
		if x.Version > 0 {
			v = strconv.Itoa(x.Version)
			if x.VersionInferred {
				v += " (in force)"
			}
		}
		took := "—"
		if x.Outcome != runbook.OutcomeInProgress {
			took = fmtDur(x.Duration().Seconds())
		}
		name := x.Runbook
		if !x.Registered {
			name += " (not registered)"
		}
		t.Rows = append(t.Rows, []string{x.Case, name, v, x.Run, strings.Join(x.Analysts, ", "), fmtTime(x.StartedAt), took, x.Outcome,
			strconv.Itoa(x.Completed), strconv.Itoa(x.Skipped), strconv.Itoa(x.Failed)})
	}
	return a.render(t)
}

func (a *app) runbooksImportTasksCommand() *cobra.Command {
	var caseRef, rb, run string
	cmd := &cobra.Command{
		Use:   "import-tasks FILE",
		Short: "Record a TheHive case's tasks as a run of the runbook its case template follows",
		Long: `Import-tasks reads TheHive 5 tasks (a JSON array, one object or NDJSON, as the
API returns a case's tasks; "-" reads standard input) and appends them to the
case's log as one run of the runbook: a completed task is a step completed, a
cancelled one a step skipped, one in progress a step started, one waiting
nothing. Steps are matched to the runbook's by title. Importing the same tasks
again adds nothing; a task that moved on adds one event. Tasks that are not
valid are reported with their position (exit status 2) and the others are
recorded.`,
		Example: `  watchfloor runbooks import-tasks tasks.json --case thehive/~41042 --runbook irps/phishing_response`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var r io.Reader = a.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			tasks, errs := runbook.ParseTheHiveTasks(r)
			st, reg, err := a.openRegistry(ctx, true)
			if err != nil {
				return err
			}
			defer st.Close()
			e := reg.Lookup(rb)
			if e == nil {
				return fmt.Errorf("runbook %q is not in the registry (see runbooks list)", rb)
			}
			c, err := st.CaseByRef(ctx, caseRef)
			if err != nil {
				return err
			}
			ids, err := st.AppendCaseEvents(ctx, c.ID, runbook.TheHiveEvents(tasks, c.ID, e.ID, run))
			if err != nil {
				return err
			}
			log, err := st.CaseEvents(ctx, c.ID)
			if err != nil {
				return err
			}
			var runs []runbook.Execution
			for _, x := range runbook.CaseRuns(reg, c, log) {
				if x.Runbook == e.ID && x.Run == run {
					runs = append(runs, x)
				}
			}
			if err := a.renderRuns(runs, fmt.Sprintf("%d tasks read, %d new events on case %s/%s", len(tasks), len(ids), c.Source, c.ExternalID)); err != nil {
				return err
			}
			for _, e := range errs {
				fmt.Fprintln(a.stderr, output.Terminal(args[0]+": "+e.Error()))
			}
			if len(errs) > 0 {
				return &exitError{code: ExitRejects, err: fmt.Errorf("%d tasks rejected (listed above)", len(errs))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&caseRef, "case", "", "the case the tasks belong to (Watchfloor id or SOURCE/EXTERNAL_ID; required)")
	cmd.Flags().StringVar(&rb, "runbook", "", "the runbook the case template follows (id, path, title or alias; required)")
	cmd.Flags().StringVar(&run, "run", "thehive", "name of the run")
	cmd.MarkFlagRequired("case")
	cmd.MarkFlagRequired("runbook")
	return cmd
}
