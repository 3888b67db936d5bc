package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/output"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) reportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Reports: the executive summary, the shift handover, the weekly operations review"}
	cmd.AddCommand(a.reportExecutiveCommand(), a.reportShiftCommand(), a.reportOperationsCommand(), a.reportListCommand(), a.reportShowCommand(), a.reportScheduleCommand())
	return cmd
}

// reportSources are the services an executive report reads, with the plan
// file's settings.
func reportSources(st *store.Store, ps planSettings, svc *metrics.Service, a *app) report.Sources {
	return report.Sources{Store: st, Metrics: svc, Crisis: crisisFor(st, ps, a.log), Staffing: ps.staffing, Budget: ps.budget, Config: ps.report}
}

func (a *app) reportExecutiveCommand() *cobra.Command {
	var summary, save bool
	var period, from, to, format, out, config string
	cmd := &cobra.Command{
		Use:   "executive --summary",
		Short: "The executive summary: headline KPIs against the previous period and targets, trends, SLA breaches, major incidents, threats, staffing, budget and recommendations",
		Long: `Writes the executive summary of a period, for a CISO or a board: the
headline KPIs (MTTD, MTTA, MTTC, MTTR medians, SLA adherence with the
breaches in flight, cases, backlog, alert volume and false-positive rate)
beside the previous period of the same length and the targets of the plan
file's "report" section; the trend over the last 8 periods; SLA breaches
and where they come from; major incidents and their cost; the threat
landscape; staffing and budget against the plan; and recommendations
derived from those figures, each citing its numbers. A section without data
says so in one line. Every figure is the one "metrics soc --performance",
"metrics rules --noisy" and "monitor operations" give for the same window.

-o FILE writes the report to FILE (the format from --format or the file's
extension) and its data beside it as FILE.json; -o json prints the data;
without -o the report goes to standard output.`,
		Example: `  watchfloor report executive --summary --demo
  watchfloor report executive --summary --period quarter -o q3.md
  watchfloor report executive --summary --from 2026-10-01 --to 2026-10-31 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !summary {
				return errors.New("say what to write: --summary")
			}
			dest, fmtName, err := reportDestination(out, format)
			if err != nil {
				return err
			}
			ps, err := loadPlanSettings(config)
			if err != nil {
				return err
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
			src := reportSources(st, ps, svc, a)
			q := report.Query{Period: period, From: from, To: to}
			var e *report.Executive
			if save {
				var id int64
				if e, id, err = src.Generate(ctx, q, cliActor(), ""); err != nil {
					return err
				}
				a.auditCLI(ctx, &auth.Service{Store: st}, "report executive --save", fmt.Sprintf("report %d", id), e.From+" to "+e.To)
				fmt.Fprintf(a.stderr, "saved as report %d (watchfloor report show %d)\n", id, id)
			} else if e, err = src.Executive(ctx, q); err != nil {
				return err
			}
			return a.writeReport(e, dest, fmtName)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&summary, "summary", false, "write the executive summary")
	f.BoolVar(&save, "save", false, "also keep the report in the report history (report list, the Reports page)")
	addReportFlags(f, &period, &from, &to)
	f.StringVar(&format, "format", "", "report format: "+strings.Join(report.Formats, ", ")+" (default: the -o file's extension, else md)")
	f.StringVarP(&out, "output", "o", "", "FILE to write the report to (its data beside it as FILE.json), or json to print the data")
	f.StringVar(&config, "config", "", "YAML plan file: the report section's targets and industry figures, and the staffing, budget and crisis settings")
	a.addDemoFlag(cmd)
	return cmd
}

func addReportFlags(f *pflag.FlagSet, period, from, to *string) {
	f.StringVar(period, "period", "month", "report period: "+strings.Join(report.Periods, ", ")+" (30 and 90 days for month and quarter), ending today or with the day of the newest data")
	f.StringVar(from, "from", "", "first day of an explicit period (YYYY-MM-DD, organisation time zone)")
	f.StringVar(to, "to", "", "last day of an explicit period (YYYY-MM-DD, inclusive)")
}

// renderer is a report that renders itself in each of report.Formats.
type renderer interface {
	Render(w io.Writer, format string) error
}

// writeReport writes a report to standard output or to a file with its
// JSON data beside it.
func (a *app) writeReport(e renderer, dest, fmtName string) error {
	var buf bytes.Buffer
	if err := e.Render(&buf, fmtName); err != nil {
		return err
	}
	if dest == "" {
		_, err := a.stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(dest, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if fmtName == "json" {
		fmt.Fprintf(a.stdout, "wrote %s\n", dest)
		return nil
	}
	var side bytes.Buffer
	if err := e.Render(&side, "json"); err != nil {
		return err
	}
	if err := os.WriteFile(dest+".json", side.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report's data: %w", err)
	}
	fmt.Fprintf(a.stdout, "wrote %s and its data %s.json\n", dest, dest)
	return nil
}

func (a *app) reportListCommand() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The report history: reports (executive, shift, operations) kept with --save, by a schedule, or from the Reports page",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			list, total, err := st.Reports(cmd.Context(), 0, limit)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: map[string]any{"total": total, "reports": list}})
			}
			t := output.Table{Title: fmt.Sprintf("Reports (%d)", total), Columns: []string{"id", "kind", "period", "from", "to", "generated", "by", "schedule"}}
			for _, r := range list {
				t.Rows = append(t.Rows, []string{itoa(r.ID), r.Kind, r.Period, r.From, r.To, r.GeneratedAt.Format("2006-01-02 15:04Z"), r.GeneratedBy, r.Schedule})
			}
			return a.render(t)
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "newest reports to list (0 for all)")
	return cmd
}

func (a *app) reportShowCommand() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "A stored report, rendered again in any format from the data it was generated with",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("report %q: want the number report list shows", args[0])
			}
			dest, fmtName, err := reportDestination(out, format)
			if err != nil {
				return err
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := st.ReportByID(cmd.Context(), id)
			if err != nil {
				return err
			}
			e, err := report.Load(r)
			if err != nil {
				return err
			}
			return a.writeReport(e, dest, fmtName)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "report format: "+strings.Join(report.Formats, ", ")+" (default: the -o file's extension, else md)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "FILE to write the report to, or json to print its data")
	return cmd
}

func (a *app) reportScheduleCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "schedule", Short: "Reports serve generates and sends on a schedule (cron-like, organisation time zone)"}
	var kind, period, spec, config string
	var channels, to []string
	add := &cobra.Command{
		Use:   "add NAME --spec CRON [--kind executive|shift|operations] [--period week] [--channel NAME]… [--to ADDRESS]…",
		Short: "Schedule a report: serve generates it, keeps it in the history and sends it to the channels",
		Long: `--kind is the report: executive (the default; --period week, month or
quarter), shift (the handover of the day it runs, or of the day of the
newest data) or operations (the review of the last 7 days).

The spec is cron's five fields — minute hour day-of-month month day-of-week —
in the organisation's time zone ("0 7 * * mon" is Mondays at 07:00), or
@daily, @weekly (Monday 00:00), @monthly. Channels are the notify section's
(e-mail, Slack, Teams, signed webhooks) in --config; --to overrides an
e-mail channel's recipients. Each delivery is recorded and retried.`,
		Example: `  watchfloor report schedule add "weekly board" --spec "0 7 * * mon" --period week --channel ciso-mail --config plan.yaml
  watchfloor report schedule add handover --kind shift --spec "45 6,18 * * *" --channel soc-leads --config plan.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := loadPlanSettings(config)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sc := a.reportSchedules(st, ps, metrics.NewService(st, nil))
			if period == "" && kind == report.KindExecutive {
				period = "week"
			}
			rs, err := sc.Create(ctx, report.ScheduleInput{Name: args[0], Kind: kind, Period: period, Spec: spec, Channels: channels, Recipients: to, By: cliActor()})
			if err != nil {
				return err
			}
			a.auditCLI(ctx, &auth.Service{Store: st}, "report schedule add", rs.Name, rs.Spec+" "+rs.Period)
			fmt.Fprintf(a.stdout, "scheduled %q: %s (%s), %s, next run %s\n", output.Terminal(rs.Name), report.KindTitle(rs.Kind), rs.Period, output.Terminal(rs.Spec), rs.NextRun.Format(time.RFC3339))
			return nil
		},
	}
	add.Flags().StringVar(&spec, "spec", "", "when: cron's five fields (minute hour day-of-month month day-of-week) or @daily, @weekly, @monthly")
	add.Flags().StringVar(&kind, "kind", report.KindExecutive, "report: "+strings.Join(report.Kinds, ", "))
	add.Flags().StringVar(&period, "period", "", "executive report period: "+strings.Join(report.Periods, ", ")+" (default week; the handover covers a day, the review a week)")
	add.Flags().StringArrayVar(&channels, "channel", nil, "notification channel to send it to (repeatable)")
	add.Flags().StringArrayVar(&to, "to", nil, "e-mail recipient, instead of the channel's (repeatable)")
	add.Flags().StringVar(&config, "config", "", "YAML plan file with the notify section's channels")
	list := &cobra.Command{
		Use:   "list",
		Short: "The report schedules, their next run and how the last one went",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			all, err := st.ReportSchedules(cmd.Context())
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: all})
			}
			t := output.Table{Title: "Report schedules", Columns: []string{"name", "kind", "period", "spec", "channels", "next run", "last run", "last report", "last error"}}
			for _, r := range all {
				last := ""
				if !r.LastRun.IsZero() {
					last = r.LastRun.Format("2006-01-02 15:04Z")
				}
				rep := ""
				if r.LastReport > 0 {
					rep = itoa(r.LastReport)
				}
				t.Rows = append(t.Rows, []string{r.Name, r.Kind, r.Period, r.Spec, strings.Join(r.Channels, ", "), r.NextRun.Format("2006-01-02 15:04Z"), last, rep, r.LastError})
			}
			return a.render(t)
		}),
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a report schedule (the reports it made stay in the history)",
		Args:  cobra.ExactArgs(1),
		RunE: a.reading(func(cmd *cobra.Command, args []string, st *store.Store) error {
			if err := st.DeleteReportSchedule(cmd.Context(), args[0]); err != nil {
				return err
			}
			a.auditCLI(cmd.Context(), &auth.Service{Store: st}, "report schedule remove", args[0], "")
			fmt.Fprintf(a.stdout, "removed schedule %q\n", output.Terminal(args[0]))
			return nil
		}),
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

// reportSchedules is the schedule runner over st with the plan file's
// settings and notification channels.
func (a *app) reportSchedules(st *store.Store, ps planSettings, svc *metrics.Service) *report.Schedules {
	src := reportSources(st, ps, svc, a)
	return &report.Schedules{Sources: src, Notifier: src.Crisis.Notifier, Log: a.log}
}

// reportDestination reads -o and --format: the file to write ("" for
// standard output) and the format.
func reportDestination(out, format string) (string, string, error) {
	switch out {
	case "json":
		if format != "" && format != "json" {
			return "", "", fmt.Errorf("-o json prints the data; drop --format %s or write to a file with -o FILE", format)
		}
		return "", "json", nil
	case "csv":
		return "", "", errors.New("a report has no CSV form: -o json prints its data, -o FILE writes it")
	case "", "-", "table", "markdown":
		if format == "" {
			format = "md"
		}
		if out == "markdown" && format != "md" {
			return "", "", fmt.Errorf("-o markdown and --format %s disagree", format)
		}
		return "", format, checkReportFormat(format)
	}
	if format == "" {
		if format = report.FormatOf(out); format == "" {
			format = "md"
		}
	}
	return out, format, checkReportFormat(format)
}

func checkReportFormat(f string) error {
	for _, ok := range report.Formats {
		if f == ok {
			return nil
		}
	}
	return fmt.Errorf("--format %q: want one of %s", f, strings.Join(report.Formats, ", "))
}
