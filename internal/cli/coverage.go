package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) coverageCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "Detection coverage: import Sigma/Splunk/native rules, score ATT&CK techniques, export Navigator layers, take snapshots",
	}
	cmd.AddCommand(a.coverageImportCommand(), a.coverageShowCommand(), a.coverageLayerCommand(), a.coverageCompareCommand(),
		a.coverageSnapshotCommand(), a.coverageSnapshotsCommand())
	return cmd
}

func (a *app) coverageImportCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Import a folder of detection content: Sigma rules, Splunk ESCU detections or native rule records",
		Long: `Import reads every content file under DIR (hidden files and folders skipped):
Sigma rules and Splunk security_content detections from .yml/.yaml files,
native rule records ({"record":"rule",...}) from .json/.ndjson/.jsonl files.
Each rule keeps its ATT&CK techniques and tactics, status (stable, test,
experimental, deprecated), level and data sources. Without --format each
file's format is told from its content. Files that are not valid rules are
listed with their path and reason (exit status 2) and the others still load;
importing the same folder again changes only the rules whose files changed.`,
		Example: `  watchfloor coverage import ../shared/data/sigma/rules --format sigma
  watchfloor coverage import ../shared/data/splunk-security-content/detections --format splunk`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return fmt.Errorf("%s is not a folder", args[0])
			}
			if format != "" && !slices.Contains(coverage.Formats, format) {
				return fmt.Errorf("--format: %q is not one of %s", format, strings.Join(coverage.Formats, ", "))
			}
			st, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := coverage.NewService(st, metrics.NewService(st, nil)).Import(cmd.Context(), os.DirFS(dir), dir, format)
			if err != nil {
				return err
			}
			a.log.Info("detection content imported", "dir", dir, "format", res.Format, "rules", res.Rules,
				"added", res.Added, "updated", res.Updated, "problems", len(res.Problems))
			if err := a.renderImport(res); err != nil {
				return err
			}
			if len(res.Problems) > 0 {
				return &exitError{code: ExitRejects, err: fmt.Errorf("%d problems in %d files (listed above); the %d valid rules are stored",
					len(res.Problems), res.Files, res.Rules)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "content format: "+strings.Join(coverage.Formats, ", ")+" (default: told from each file)")
	return cmd
}

func (a *app) renderImport(res *coverage.ImportResult) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: res})
	}
	t := output.Table{Name: "import", Title: "Detection content from " + res.Dir + " (" + res.Format + ")", Columns: []string{"files", "rules", "techniques", "added", "updated", "unchanged", "problems"}}
	t.Rows = [][]string{{strconv.Itoa(res.Files), strconv.Itoa(res.Rules), strconv.Itoa(res.Techniques), strconv.Itoa(res.Added),
		strconv.Itoa(res.Updated), strconv.Itoa(res.Unchanged), strconv.Itoa(len(res.Problems))}}
	if err := a.render(t); err != nil {
		return err
	}
	if len(res.Problems) == 0 {
		return nil
	}
	a.println()
	pt := output.Table{Name: "problems", Title: "Not loaded", Columns: []string{"file", "reason"}}
	for _, p := range res.Problems {
		pt.Rows = append(pt.Rows, []string{p.Path, p.Reason})
	}
	return a.render(pt)
}

// coverageFlags pick the coverage window and score limit.
type coverageFlags struct {
	wf    windowFlags
	maxFP float64
}

func (a *app) addCoverageFlags(cmd *cobra.Command, cf *coverageFlags) {
	a.addDemoFlag(cmd)
	cf.wf.add(cmd)
	cmd.Flags().Lookup("timeframe").DefValue = "quarterly"
	cf.wf.timeframe = "quarterly"
	cmd.Flags().Float64Var(&cf.maxFP, "max-fp-rate", coverage.DefaultMaxFPRate, "highest false-positive rate (0–1) of rules whose technique scores 4 or 5")
}

func (cf *coverageFlags) query() (coverage.Query, error) {
	if cf.maxFP <= 0 || cf.maxFP > 1 {
		return coverage.Query{}, fmt.Errorf("--max-fp-rate: %v is not in (0, 1]", cf.maxFP)
	}
	return coverage.Query{WindowQuery: cf.wf.query(), Options: coverage.Options{MaxFPRate: cf.maxFP}}, nil
}

// coverageReport opens the store for reading and computes coverage.
func (a *app) coverageReport(cmd *cobra.Command, cf *coverageFlags) (*coverage.Report, *store.Store, error) {
	q, err := cf.query()
	if err != nil {
		return nil, nil, err
	}
	st, err := a.openRead(cmd.Context())
	if err != nil {
		return nil, nil, err
	}
	rep, err := coverage.NewService(st, metrics.NewService(st, nil)).Report(cmd.Context(), q)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return rep, st, nil
}

func scoreText(v *float64) string {
	if v == nil {
		return noData
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

func (a *app) coverageShowCommand() *cobra.Command {
	var cf coverageFlags
	var tactic, technique string
	var all bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Coverage per ATT&CK technique with its 0–5 score and reasons, per tactic and per platform",
		Long: `Show scores every ATT&CK technique (sub-techniques rolled up into their
parent) from the rules stored with alerts and the imported detection content,
and the window's alerts: rules present, rules that fired, their false-positive
rate and the analyst hours of their cases (from the KPI engine), and alerts
carrying the technique. The score follows DeTT&CT's detection scale (0 none to
5 excellent); each comes with its reasons. Without --tactic or --technique it
prints the tactic and platform summaries; -o json prints the whole report.`,
		Example: `  watchfloor coverage show --demo
  watchfloor coverage show --tactic execution
  watchfloor coverage show --technique T1059 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, st, err := a.coverageReport(cmd, &cf)
			if err != nil {
				return err
			}
			defer st.Close()
			cat, err := attack.Load()
			if err != nil {
				return err
			}
			switch {
			case technique != "":
				t, ok := rep.Technique(technique)
				if !ok {
					return fmt.Errorf("--technique: %q is not an active ATT&CK technique", technique)
				}
				if a.format == "json" {
					return a.render(output.Table{JSON: t})
				}
				return a.renderTechniques(rep, []coverage.Technique{*t}, t.ID+" "+t.Name, true)
			case tactic != "":
				ta, ok := cat.Tactic(tactic)
				if !ok {
					return fmt.Errorf("--tactic: %q is not an ATT&CK tactic", tactic)
				}
				var rows []coverage.Technique
				for _, t := range rep.Techniques {
					if slices.Contains(t.Tactics, ta.ShortName) && (all || t.Score > 0 || t.SeenInAlerts > 0) {
						rows = append(rows, t)
					}
				}
				if a.format == "json" {
					return a.render(output.Table{JSON: rows})
				}
				return a.renderTechniques(rep, rows, ta.Name+" ("+ta.ID+")", false)
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			return a.renderCoverageReport(rep)
		},
	}
	a.addCoverageFlags(cmd, &cf)
	cmd.Flags().StringVar(&tactic, "tactic", "", "list the techniques of one tactic (ID, short name or name)")
	cmd.Flags().StringVar(&technique, "technique", "", "show one technique or sub-technique with its rules and reasons")
	cmd.Flags().BoolVar(&all, "all", false, "with --tactic: list techniques with score 0 too")
	return cmd
}

func (a *app) renderCoverageReport(rep *coverage.Report) error {
	a.printf("Coverage over %s (ATT&CK %s): %d rules (%d active, %d imported, %d imported rules linked to alert rules), %d fired; %d alerts\n",
		rep.Window, rep.ATTACKVersion, rep.Rules, rep.Active, rep.Imported, rep.Linked, rep.FiredRules, rep.Alerts)
	a.printf("Score: %s.\n\n", rep.Definition)
	t := output.Table{Name: "tactics", Title: "Per tactic (techniques with sub-techniques rolled up)",
		Columns: []string{"tactic", "name", "techniques", "covered", "0", "1", "2", "3", "4", "5", "mean", "seen in alerts"}}
	for _, x := range rep.Tactics {
		row := []string{x.ID, x.Name, strconv.Itoa(x.Techniques), strconv.Itoa(x.Covered)}
		for _, n := range x.ByScore {
			row = append(row, strconv.Itoa(n))
		}
		t.Rows = append(t.Rows, append(row, scoreText(x.Mean), strconv.Itoa(x.Seen)))
	}
	if err := a.render(t); err != nil {
		return err
	}
	a.println()
	p := output.Table{Name: "platforms", Title: "Per platform", Columns: []string{"platform", "techniques", "covered", "0", "1", "2", "3", "4", "5", "mean"}}
	for _, x := range rep.Platforms {
		row := []string{x.Name, strconv.Itoa(x.Techniques), strconv.Itoa(x.Covered)}
		for _, n := range x.ByScore {
			row = append(row, strconv.Itoa(n))
		}
		p.Rows = append(p.Rows, append(row, scoreText(x.Mean)))
	}
	if err := a.render(p); err != nil {
		return err
	}
	if len(rep.UnlinkedRule) > 0 {
		a.println()
		u := output.Table{Name: "unlinked", Title: "Alert rules that match no stored or imported rule", Columns: []string{"source", "rule", "alerts", "name"}}
		for _, r := range rep.UnlinkedRule {
			u.Rows = append(u.Rows, []string{r.Source, r.RuleID, itoa(r.Alerts), r.RuleName})
		}
		if err := a.render(u); err != nil {
			return err
		}
	}
	for _, l := range slices.Concat(rep.DataQuality, rep.Warnings) {
		a.printf("Note: %s\n", a.esc(l))
	}
	return nil
}

func (a *app) renderTechniques(rep *coverage.Report, rows []coverage.Technique, title string, detail bool) error {
	t := output.Table{Name: "techniques", Title: title + " over " + rep.Window,
		Columns: []string{"technique", "score", "rules", "stable", "fired", "alerts", "FP rate", "analyst h", "seen", "name", "reasons"}}
	add := func(x coverage.Technique, indent string) {
		t.Rows = append(t.Rows, []string{indent + x.ID, strconv.Itoa(x.Score) + " " + x.Label, strconv.Itoa(x.Rules), strconv.Itoa(x.Stable),
			strconv.Itoa(x.Fired), strconv.FormatInt(x.Alerts, 10), pctOf(x.FPRate), hoursOf(x.AnalystHours),
			strconv.FormatInt(x.SeenInAlerts, 10), x.Name, strings.Join(x.Reasons, "; ")})
	}
	for _, x := range rows {
		add(x, "")
		if detail {
			for _, s := range x.Subtechniques {
				add(s, "  ")
			}
		}
	}
	if err := a.render(t); err != nil {
		return err
	}
	if !detail || len(rows) != 1 {
		return nil
	}
	a.println()
	keys := map[string]bool{}
	for _, k := range rows[0].RuleKeys {
		keys[k] = true
	}
	rt := output.Table{Name: "rules", Title: "Rules", Columns: []string{"rule", "status", "alerts", "FP rate", "analyst h", "title", "file"}}
	for _, d := range rep.Detections {
		if keys[d.Key] {
			rt.Rows = append(rt.Rows, []string{d.Key, d.Status, strconv.FormatInt(d.Alerts, 10), pctOf(d.FPRate), hoursOf(d.AnalystHours), d.Title, d.Path})
		}
	}
	return a.render(rt)
}

func (a *app) coverageLayerCommand() *cobra.Command {
	var cf coverageFlags
	var out, name string
	var gaps int
	cmd := &cobra.Command{
		Use:   "layer",
		Short: "Export coverage as an ATT&CK Navigator layer (format 4.5)",
		Long: `Layer writes the coverage report as an ATT&CK Navigator layer (format 4.5,
enterprise-attack): every technique and sub-technique with its score 0–5, the
score's colour, its reasons as comment and its figures as metadata, with a
gradient and a legend. Open it at https://mitre-attack.github.io/attack-navigator/.`,
		Example: `  watchfloor coverage layer --out coverage.json
  watchfloor coverage layer --gaps 10 --out gaps.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, st, err := a.coverageReport(cmd, &cf)
			if err != nil {
				return err
			}
			defer st.Close()
			layer := coverage.LayerOf(rep, "Watchfloor coverage "+rep.Window)
			if gaps > 0 {
				if layer, err = a.gapLayer(cmd, st, rep, gaps); err != nil {
					return err
				}
			}
			if name != "" {
				layer.Name = name
			}
			b, err := json.MarshalIndent(layer, "", "  ")
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if out == "" || out == "-" {
				_, err = a.stdout.Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return fmt.Errorf("writing layer: %w", err)
			}
			fmt.Fprintf(a.stderr, "wrote %s (%d techniques)\n", out, len(layer.Techniques))
			return nil
		},
	}
	a.addCoverageFlags(cmd, &cf)
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: standard output)")
	cmd.Flags().StringVar(&name, "name", "", "layer name (default: Watchfloor coverage and the window)")
	cmd.Flags().IntVar(&gaps, "gaps", 0, "export the coverage gaps of the N most relevant threat profiles instead, weighted by their relevance")
	return cmd
}

// gapLayer ranks the threat profiles over the 90 days up to the newest
// data and makes the gap layer of the n most relevant.
func (a *app) gapLayer(cmd *cobra.Command, st *store.Store, rep *coverage.Report, n int) (coverage.Layer, error) {
	svc := metrics.NewService(st, nil)
	res, err := svc.Resolve(cmd.Context(), metrics.WindowQuery{Timeframe: "quarterly"})
	if err != nil {
		return coverage.Layer{}, err
	}
	end := res.Window.To.Add(-time.Second)
	isvc := &intel.Service{Store: st, Engine: svc.Engine(), Now: func() time.Time { return end }}
	rk, err := isvc.Rank(cmd.Context(), intel.RankQuery{Days: 90, Relevant: true, Limit: n})
	if err != nil {
		return coverage.Layer{}, err
	}
	if len(rk.Profiles) == 0 {
		return coverage.Layer{}, errors.New("no threat profile scores as relevant: set the organisation profile (watchfloor intel org …) or pull threat intelligence")
	}
	var ps []coverage.GapProfile
	for _, p := range rk.Profiles {
		ps = append(ps, coverage.GapProfile{ID: p.ID, Name: p.Name, Score: p.Score, Techniques: p.Techniques})
	}
	return coverage.GapLayer(rep, ps, "Watchfloor coverage gaps "+rep.Window), nil
}

func (a *app) coverageCompareCommand() *cobra.Command {
	var cf coverageFlags
	cmd := &cobra.Command{
		Use:   "compare LAYER.json",
		Short: "Hold coverage against another Navigator layer (a red-team plan, a threat's techniques, a DeTT&CT export)",
		Long: fmt.Sprintf(`Compare reads a Navigator layer (format 4.x), checks it, and lists its enabled
techniques with their score there and Watchfloor's score here; a technique
scored %d or less here (rules that never fired, or none) is a gap.`, coverage.GapScore),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			l, err := coverage.ReadLayer(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			rep, st, err := a.coverageReport(cmd, &cf)
			if err != nil {
				return err
			}
			defer st.Close()
			cat, err := attack.Load()
			if err != nil {
				return err
			}
			c := coverage.CompareLayer(rep, cat, l)
			if a.format == "json" {
				return a.render(output.Table{JSON: c})
			}
			t := output.Table{Name: "compare", Title: fmt.Sprintf("Layer %q against coverage over %s: %d techniques, %d gaps", l.Name, rep.Window, len(c.Techniques), c.Gaps),
				Columns: []string{"technique", "their score", "our score", "rules", "fired", "gap", "name"}}
			for _, x := range c.Techniques {
				their := noData
				if x.Their != nil {
					their = strconv.FormatFloat(*x.Their, 'f', -1, 64)
				}
				gap := ""
				if x.Gap {
					gap = "gap"
				}
				t.Rows = append(t.Rows, []string{x.ID, their, strconv.Itoa(x.Ours) + " " + x.Label, strconv.Itoa(x.Rules), strconv.Itoa(x.Fired), gap, x.Name})
			}
			if err := a.render(t); err != nil {
				return err
			}
			if len(c.Unknown) > 0 {
				a.printf("Not in ATT&CK %s: %s\n", rep.ATTACKVersion, a.esc(strings.Join(c.Unknown, ", ")))
			}
			return nil
		},
	}
	a.addCoverageFlags(cmd, &cf)
	return cmd
}

func (a *app) coverageSnapshotCommand() *cobra.Command {
	var cf coverageFlags
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Store a dated snapshot of coverage, so progress shows quarter over quarter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := cf.query()
			if err != nil {
				return err
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			sn, err := coverage.NewService(st, metrics.NewService(st, nil)).TakeSnapshot(cmd.Context(), q, time.Now())
			if err != nil {
				return err
			}
			a.log.Info("coverage snapshot stored", "id", sn.ID, "window", sn.Window)
			return a.renderSnapshots([]coverage.Snapshot{sn})
		},
	}
	a.addCoverageFlags(cmd, &cf)
	return cmd
}

func (a *app) coverageSnapshotsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "snapshots",
		Short: "List coverage snapshots and the techniques whose score changed since the one before the last",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			sns, err := coverage.NewService(st, nil).Snapshots(cmd.Context())
			if err != nil {
				return err
			}
			var changes []coverage.Change
			if len(sns) >= 2 {
				changes = coverage.Compare(sns[len(sns)-2], sns[len(sns)-1])
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: map[string]any{"snapshots": sns, "changes": changes}})
			}
			if len(sns) == 0 {
				return errors.New("no coverage snapshot stored yet — take one with `watchfloor coverage snapshot`")
			}
			if err := a.renderSnapshots(sns); err != nil {
				return err
			}
			if len(sns) >= 2 {
				a.println()
				ct := output.Table{Name: "changes", Title: fmt.Sprintf("Score changes from snapshot %d to %d", sns[len(sns)-2].ID, sns[len(sns)-1].ID),
					Columns: []string{"technique", "from", "to"}}
				for _, c := range changes {
					ct.Rows = append(ct.Rows, []string{c.ID, strconv.Itoa(c.From), strconv.Itoa(c.To)})
				}
				return a.render(ct)
			}
			return nil
		}),
	}
}

func (a *app) renderSnapshots(sns []coverage.Snapshot) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: sns})
	}
	t := output.Table{Name: "snapshots", Title: "Coverage snapshots", Columns: []string{"id", "taken", "window", "rules", "active", "fired", "techniques", "covered", "mean score"}}
	for _, s := range sns {
		t.Rows = append(t.Rows, []string{strconv.FormatInt(s.ID, 10), fmtTime(s.TakenAt), s.Window, strconv.Itoa(s.Rules), strconv.Itoa(s.Active),
			strconv.Itoa(s.FiredRules), strconv.Itoa(s.Techniques), strconv.Itoa(s.Covered), scoreText(s.Mean)})
	}
	return a.render(t)
}
