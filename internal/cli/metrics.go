package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/output"
)

// windowFlags are the flags that pick a report window.
type windowFlags struct {
	timeframe string
	from, to  string
}

func (wf *windowFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&wf.timeframe, "timeframe", "weekly", "report period: "+strings.Join(metrics.TimeframeNames(), ", ")+
		" (monthly is 30 days, quarterly 90), ending today, or with the day of the newest data when it is older")
	f.StringVar(&wf.from, "from", "", "first day of an explicit window (YYYY-MM-DD, organisation time zone)")
	f.StringVar(&wf.to, "to", "", "last day of an explicit window (YYYY-MM-DD, inclusive)")
}

func (wf *windowFlags) query() metrics.WindowQuery {
	return metrics.WindowQuery{Timeframe: wf.timeframe, From: wf.from, To: wf.to}
}

// noData is how tables show a figure without data: never 0.
const noData = "—"

// fmtDur prints a duration in seconds compactly: 45s, 12m, 3h05m, 2d04h.
func fmtDur(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// durOf prints a nullable duration in seconds, "—" for no data.
func durOf(v *float64) string {
	if x, ok := metrics.Value(v); ok {
		return fmtDur(x)
	}
	return noData
}

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

// pctOf prints a nullable ratio as a percentage, "—" for no data.
func pctOf(v *float64) string {
	if x, ok := metrics.Value(v); ok {
		return pct(x)
	}
	return noData
}

// hoursOf prints nullable hours, "—" for no data.
func hoursOf(v *float64) string {
	if x, ok := metrics.Value(v); ok {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return noData
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// printBasis prints what a report stands on: when it was judged, how fresh
// the data is, the SLA policy versions, data-quality notes and warnings.
func (a *app) printBasis(now time.Time, b metrics.Basis) {
	through := "no data"
	if !b.DataThrough.IsZero() {
		through = b.DataThrough.UTC().Format("2006-01-02 15:04Z")
	}
	a.printf("As of %s; data through %s (newest alert or case)\n", now.UTC().Format("2006-01-02 15:04Z"), through)
	if len(b.SLAPolicies) > 0 {
		a.printf("SLA policy: %s\n", a.esc(strings.Join(b.SLAPolicies, "; ")))
	}
	for _, l := range b.DataQuality {
		a.printf("Data quality: %s\n", a.esc(l))
	}
	for _, w := range b.Warnings {
		a.printf("Warning: %s\n", a.esc(w))
	}
}

func (a *app) metricsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "metrics", Short: "SOC performance and rule quality KPIs"}
	cmd.AddCommand(a.metricsSOCCommand(), a.metricsRulesCommand())
	return cmd
}

// groupByHelp lists the groupings and what each groups by.
func groupByHelp() string {
	var parts []string
	for _, g := range metrics.GroupBys {
		parts = append(parts, g+" ("+metrics.GroupByInfo[g]+")")
	}
	return "group cases by " + strings.Join(parts, ", ")
}

func (a *app) metricsSOCCommand() *cobra.Command {
	var wf windowFlags
	var performance, trend, includeTests bool
	var groupBy string
	cmd := &cobra.Command{
		Use:   "soc --performance",
		Short: "MTTD, MTTA, MTTC, MTTR, SLA adherence, volumes, reopen and escalation rates over a window",
		Long: `Shows the SOC's performance KPIs for the cases created in a window (the
organisation's time zone; see 'watchfloor settings'). Each KPI gives its
definition, how many cases it measured, median, p90 and mean, and how many
cases were still open, missing a timestamp, clamped for clock skew, imputed
from a skipped stage, or excluded as tests and drills. Medians and p90s are
within 1 % relative error; counts and means are exact. SLA adherence is
met ÷ (met + breached), where breached counts the open cases already past
their target (judged now). A figure without data is shown as "—" (null in
JSON), never as 0.

With -o csv pick one table with --table: groups, sla, kpis, trend (with
--trend-analysis) or rules.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !performance {
				return errors.New("say what to show: --performance")
			}
			ctx := cmd.Context()
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if ok, err := a.hasData(ctx, st); !ok || err != nil {
				return err
			}
			svc := metrics.NewService(st, nil)
			rep, err := svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: wf.query(), GroupBy: groupBy,
				IncludeTests: includeTests, Trend: trend, Series: trend})
			if err != nil {
				return err
			}
			if rep.Rules, err = svc.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: rep.From, To: rep.To}, Limit: 10}); err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			return a.renderPerformance(rep)
		},
	}
	wf.add(cmd)
	f := cmd.Flags()
	f.BoolVar(&performance, "performance", false, "show performance KPIs")
	f.BoolVar(&trend, "trend-analysis", false, "compare with the previous window and show the last 8 periods")
	f.StringVar(&groupBy, "group-by", "", groupByHelp())
	f.BoolVar(&includeTests, "include-tests", false, "count test and drill cases in the KPIs (excluded by default)")
	a.addDemoFlag(cmd)
	return cmd
}

// slaRow is one clock's adherence as a table row.
func slaRow(group, clock string, r metrics.SLAResult) []string {
	return []string{group, clock, pctOf(r.Adherence), itoa(r.Met), itoa(r.Breached), itoa(r.BreachedOpen), itoa(r.Open),
		itoa(r.AtRisk), itoa(r.NoTarget)}
}

func (a *app) renderPerformance(rep *metrics.Report) error {
	a.printf("SOC performance %s (%s)\nCohort: %s\n", rep.Window, rep.TimeZone, rep.Cohort)
	a.printBasis(rep.Now, rep.Basis)
	a.println()
	groups := output.Table{Name: "groups", Title: "Cases",
		Columns: []string{"group", "cases", "done", "tests excluded", "reopen rate", "escalation rate"}}
	slaT := output.Table{Name: "sla", Title: "SLA adherence = met ÷ (met + breached); breached includes open cases past their target (in flight); at risk: open past 80 % of the target",
		Columns: []string{"group", "clock", "adherence", "met", "breached", "in flight", "open", "at risk", "no target"}}
	kpis := output.Table{Name: "kpis", Title: "KPIs",
		Columns: []string{"group", "kpi", "count", "median", "p90", "mean", "open", "missing", "clamped", "imputed", "prev median"}}
	prev := map[string]metrics.GroupResult{}
	if rep.Previous != nil {
		for _, g := range rep.Previous.Groups {
			prev[g.Group] = g
		}
	}
	for _, g := range rep.Groups {
		groups.Rows = append(groups.Rows, []string{g.Group, itoa(g.Cases), itoa(g.Done), itoa(g.Excluded), pctOf(g.ReopenRate), pctOf(g.EscalationRate)})
		slaT.Rows = append(slaT.Rows, slaRow(g.Group, "acknowledge", g.SLAAcknowledge), slaRow(g.Group, "resolve", g.SLAResolve))
		if g.SourceSLA != nil {
			slaT.Rows = append(slaT.Rows, slaRow(g.Group, "source system's own verdict", *g.SourceSLA))
		}
		p, hasPrev := prev[g.Group]
		for i, s := range g.KPIs {
			pm := ""
			if hasPrev && i < len(p.KPIs) {
				pm = durOf(p.KPIs[i].Median)
			}
			kpis.Rows = append(kpis.Rows, []string{g.Group, strings.ToUpper(string(s.KPI)), itoa(s.Count), durOf(s.Median), durOf(s.P90),
				durOf(s.Mean), itoa(s.Open), itoa(s.Missing), itoa(s.Clamped), itoa(s.Imputed), pm})
		}
	}
	if len(rep.SLAPolicies) == 0 {
		slaT.Title += " — no SLA policy is stored, so Watchfloor's adherence is not measured"
	}
	tables := []output.Table{groups, slaT, kpis}
	if len(rep.Series) > 0 {
		t := output.Table{Name: "trend", Title: "Trend (a partial period covers only some of its days, or is still running)",
			Columns: []string{"period", "days", "partial", "cases", "MTTA median", "MTTR median", "MTTR mean", "SLA ack", "SLA resolve", "reopen rate"}}
		for _, p := range rep.Series {
			r := p.Result
			partial := ""
			if p.Partial {
				partial = "partial"
			}
			row := []string{p.Period, strconv.Itoa(p.Days), partial, itoa(r.Cases), noData, noData, noData,
				pctOf(r.SLAAcknowledge.Adherence), pctOf(r.SLAResolve.Adherence), pctOf(r.ReopenRate)}
			for _, s := range r.KPIs {
				switch s.KPI {
				case metrics.MTTA:
					row[4] = durOf(s.Median)
				case metrics.MTTR:
					row[5], row[6] = durOf(s.Median), durOf(s.Mean)
				}
			}
			t.Rows = append(t.Rows, row)
		}
		tables = append(tables, t)
	}
	for _, t := range tables {
		if err := a.render(t); err != nil {
			return err
		}
		a.println()
	}
	if rep.Rules != nil {
		a.printf("Alerts: %d, %s in cases\n", rep.Rules.Alerts, pctOf(rep.Rules.ConversionRate))
		return a.renderRules(rep.Rules, "Noisiest rules")
	}
	return nil
}

func (a *app) renderRules(r *metrics.RuleReport, title string) error {
	t := output.Table{Name: "rules", Title: title + " (" + r.Window + "); FP rate = " + r.Definition,
		Columns: []string{"rule", "source", "alerts", "false pos.", "judged", "FP rate", "in cases", "cases", "analyst h", "elapsed h", "MTTD median", "name"}}
	for _, x := range r.Rules {
		t.Rows = append(t.Rows, []string{x.RuleID, x.Source, itoa(x.Alerts), itoa(x.FalsePositives), itoa(x.Judged), pctOf(x.FalsePositiveRate),
			pctOf(x.ConversionRate), itoa(x.Cases), hoursOf(x.AnalystHours), hoursOf(x.ElapsedHours), durOf(x.MTTD.Median), x.RuleName})
	}
	if err := a.render(t); err != nil {
		return err
	}
	a.printf("Analyst h = %s.\nElapsed h = %s.\n", r.HoursDef, r.ElapsedDef)
	return nil
}

func (a *app) metricsRulesCommand() *cobra.Command {
	var wf windowFlags
	var noisy bool
	var limit int
	cmd := &cobra.Command{
		Use:   "rules --noisy",
		Short: "Detection rules by false positives: volume, FP rate, conversion to cases, cases and the analyst hours they took",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !noisy {
				return errors.New("say what to show: --noisy")
			}
			ctx := cmd.Context()
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if ok, err := a.hasData(ctx, st); !ok || err != nil {
				return err
			}
			rep, err := metrics.NewService(st, nil).Rules(ctx, metrics.RulesQuery{WindowQuery: wf.query(), Limit: limit})
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			a.printf("Alerts: %d, %s in cases\n", rep.Alerts, pctOf(rep.ConversionRate))
			for _, l := range slices.Concat(rep.DataQuality, rep.Warnings) {
				a.printf("Note: %s\n", a.esc(l))
			}
			return a.renderRules(rep, "Rules")
		},
	}
	wf.add(cmd)
	cmd.Flags().BoolVar(&noisy, "noisy", false, "rank rules by false positives")
	cmd.Flags().IntVar(&limit, "limit", 20, "rules to show (0 for all)")
	a.addDemoFlag(cmd)
	return cmd
}
