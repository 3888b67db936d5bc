package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

// windowFlags are the flags that pick a report window.
type windowFlags struct {
	timeframe string
	from, to  string
}

func (wf *windowFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&wf.timeframe, "timeframe", "weekly", "report period: daily, weekly, monthly (30 days) or quarterly (90 days)")
	f.StringVar(&wf.from, "from", "", "first day of an explicit window (YYYY-MM-DD, organisation time zone)")
	f.StringVar(&wf.to, "to", "", "last day of an explicit window (YYYY-MM-DD, inclusive)")
}

// window resolves the flags: an explicit --from/--to, or the timeframe's
// length ending with the day of the newest data.
func (wf *windowFlags) window(ctx context.Context, st *store.Store) (metrics.Window, metrics.Timeframe, *time.Location, error) {
	tf, err := metrics.ParseTimeframe(wf.timeframe)
	if err != nil {
		return metrics.Window{}, "", nil, err
	}
	loc, err := st.TimeZone(ctx)
	if err != nil {
		return metrics.Window{}, "", nil, err
	}
	if wf.from != "" || wf.to != "" {
		if wf.from == "" || wf.to == "" {
			return metrics.Window{}, "", nil, errors.New("--from and --to go together")
		}
		from, err := time.ParseInLocation("2006-01-02", wf.from, loc)
		if err != nil {
			return metrics.Window{}, "", nil, fmt.Errorf("--from: %w", err)
		}
		to, err := time.ParseInLocation("2006-01-02", wf.to, loc)
		if err != nil {
			return metrics.Window{}, "", nil, fmt.Errorf("--to: %w", err)
		}
		if to.Before(from) {
			return metrics.Window{}, "", nil, errors.New("--to is before --from")
		}
		return metrics.Window{From: from, To: to.AddDate(0, 0, 1)}, tf, loc, nil
	}
	end, err := st.LatestActivity(ctx)
	if err != nil {
		return metrics.Window{}, "", nil, err
	}
	if end.IsZero() {
		end = time.Now()
	}
	return metrics.WindowEnding(end, tf.Days(), loc), tf, loc, nil
}

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

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

func (a *app) metricsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "metrics", Short: "SOC performance and rule quality KPIs"}
	cmd.AddCommand(a.metricsSOCCommand(), a.metricsRulesCommand())
	return cmd
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
within 1 % relative error; counts and means are exact.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !performance {
				return errors.New("say what to show: --performance")
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			w, tf, loc, err := wf.window(ctx, st)
			if err != nil {
				return err
			}
			eng := &metrics.Engine{Store: st}
			rep, err := eng.Performance(ctx, metrics.Request{Window: w, GroupBy: groupBy, IncludeTests: includeTests, Trend: trend})
			if err != nil {
				return err
			}
			if trend {
				sw := metrics.WindowEnding(w.To.AddDate(0, 0, -1), 8*tf.Days(), loc)
				sr, err := eng.Performance(ctx, metrics.Request{Window: sw, IncludeTests: includeTests, Series: tf})
				if err != nil {
					return err
				}
				rep.Series = sr.Series
			}
			if rep.Rules, err = eng.Rules(ctx, w); err != nil {
				return err
			}
			if len(rep.Rules.Rules) > 10 {
				rep.Rules.Rules = rep.Rules.Rules[:10]
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
	f.StringVar(&groupBy, "group-by", "", "group cases by "+strings.Join(metrics.GroupBys, ", "))
	f.BoolVar(&includeTests, "include-tests", false, "count test and drill cases in the KPIs (excluded by default)")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) renderPerformance(rep *metrics.Report) error {
	fmt.Fprintf(a.stdout, "SOC performance %s (%s)\nCohort: %s\n\n", rep.Window, rep.TimeZone, rep.Cohort)
	prev := map[string]metrics.GroupResult{}
	if rep.Previous != nil {
		for _, g := range rep.Previous.Groups {
			prev[g.Group] = g
		}
	}
	for _, g := range rep.Groups {
		t := output.Table{
			Title: fmt.Sprintf("%s: %d cases, %d done, reopen rate %s, escalation rate %s, SLA acknowledge %s (%d met, %d breached, %d open), SLA resolve %s (%d met, %d breached, %d open), %d tests excluded",
				g.Group, g.Cases, g.Done, pct(g.ReopenRate), pct(g.EscalationRate),
				pct(g.SLAAcknowledge.Adherence), g.SLAAcknowledge.Met, g.SLAAcknowledge.Breached, g.SLAAcknowledge.Open,
				pct(g.SLAResolve.Adherence), g.SLAResolve.Met, g.SLAResolve.Breached, g.SLAResolve.Open, g.Excluded),
			Columns: []string{"kpi", "count", "median", "p90", "mean", "open", "missing", "clamped", "imputed", "prev median"},
		}
		if g.SourceSLA != nil {
			t.Title += fmt.Sprintf(", source system's own SLA verdict %s (%d met, %d breached)",
				pct(g.SourceSLA.Adherence), g.SourceSLA.Met, g.SourceSLA.Breached)
		}
		p, hasPrev := prev[g.Group]
		for i, s := range g.KPIs {
			pm := ""
			if hasPrev && i < len(p.KPIs) && p.KPIs[i].Count > 0 {
				pm = fmtDur(p.KPIs[i].Median)
			}
			row := []string{strings.ToUpper(string(s.KPI)), strconv.FormatInt(s.Count, 10), "", "", "",
				strconv.FormatInt(s.Open, 10), strconv.FormatInt(s.Missing, 10), strconv.FormatInt(s.Clamped, 10),
				strconv.FormatInt(s.Imputed, 10), pm}
			if s.Count > 0 {
				row[2], row[3], row[4] = fmtDur(s.Median), fmtDur(s.P90), fmtDur(s.Mean)
			}
			t.Rows = append(t.Rows, row)
		}
		if err := a.render(t); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout)
	}
	if len(rep.Series) > 0 {
		t := output.Table{Title: "Trend", Columns: []string{"period", "cases", "MTTA median", "MTTR median", "MTTR mean", "SLA ack", "SLA resolve", "reopen rate"}}
		for _, p := range rep.Series {
			r := p.Result
			row := []string{p.Period, strconv.FormatInt(r.Cases, 10), "", "", "", pct(r.SLAAcknowledge.Adherence), pct(r.SLAResolve.Adherence), pct(r.ReopenRate)}
			for _, s := range r.KPIs {
				if s.Count == 0 {
					continue
				}
				switch s.KPI {
				case metrics.MTTA:
					row[2] = fmtDur(s.Median)
				case metrics.MTTR:
					row[3], row[4] = fmtDur(s.Median), fmtDur(s.Mean)
				}
			}
			t.Rows = append(t.Rows, row)
		}
		if err := a.render(t); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout)
	}
	if rep.Rules != nil {
		fmt.Fprintf(a.stdout, "Alerts: %d, %s in cases\n", rep.Rules.Alerts, pct(rep.Rules.ConversionRate))
		return a.renderRules(rep.Rules, "Noisiest rules")
	}
	return nil
}

func (a *app) renderRules(r *metrics.RuleReport, title string) error {
	t := output.Table{Title: title + " (" + r.Window + "); FP rate = " + r.Definition,
		Columns: []string{"rule", "source", "alerts", "false pos.", "judged", "FP rate", "in cases", "cases", "analyst h", "MTTD median", "name"}}
	for _, x := range r.Rules {
		med := ""
		if x.MTTD.Count > 0 {
			med = fmtDur(x.MTTD.Median)
		}
		t.Rows = append(t.Rows, []string{x.RuleID, x.Source, strconv.FormatInt(x.Alerts, 10), strconv.FormatInt(x.FalsePositives, 10),
			strconv.FormatInt(x.Judged, 10), pct(x.FalsePositiveRate), pct(x.ConversionRate), strconv.FormatInt(x.Cases, 10),
			strconv.FormatFloat(x.AnalystHours, 'f', 1, 64), med, x.RuleName})
	}
	return a.render(t)
}

func (a *app) metricsRulesCommand() *cobra.Command {
	var wf windowFlags
	var noisy bool
	var limit int
	cmd := &cobra.Command{
		Use:   "rules --noisy",
		Short: "Detection rules by false positives: volume, FP rate, conversion to cases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !noisy {
				return errors.New("say what to show: --noisy")
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			w, _, _, err := wf.window(ctx, st)
			if err != nil {
				return err
			}
			rep, err := (&metrics.Engine{Store: st}).Rules(ctx, w)
			if err != nil {
				return err
			}
			if limit > 0 && len(rep.Rules) > limit {
				rep.Rules = rep.Rules[:limit]
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			fmt.Fprintf(a.stdout, "Alerts: %d, %s in cases\n", rep.Alerts, pct(rep.ConversionRate))
			return a.renderRules(rep, "Rules")
		},
	}
	wf.add(cmd)
	cmd.Flags().BoolVar(&noisy, "noisy", false, "rank rules by false positives")
	cmd.Flags().IntVar(&limit, "limit", 20, "rules to show (0 for all)")
	a.addDemoFlag(cmd)
	return cmd
}
