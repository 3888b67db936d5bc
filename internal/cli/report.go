package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) reportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Reports for senior management: the executive summary"}
	cmd.AddCommand(a.reportExecutiveCommand())
	return cmd
}

// reportSources are the services an executive report reads, with the plan
// file's settings.
func reportSources(st *store.Store, ps planSettings, svc *metrics.Service, a *app) report.Sources {
	return report.Sources{Store: st, Metrics: svc, Crisis: crisisFor(st, ps, a.log), Staffing: ps.staffing, Budget: ps.budget, Config: ps.report}
}

func (a *app) reportExecutiveCommand() *cobra.Command {
	var summary bool
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
			e, err := reportSources(st, ps, svc, a).Executive(ctx, report.Query{Period: period, From: from, To: to})
			if err != nil {
				return err
			}
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
		},
	}
	f := cmd.Flags()
	f.BoolVar(&summary, "summary", false, "write the executive summary")
	f.StringVar(&period, "period", "month", "report period: "+strings.Join(report.Periods, ", ")+" (30 and 90 days for month and quarter), ending today or with the day of the newest data")
	f.StringVar(&from, "from", "", "first day of an explicit period (YYYY-MM-DD, organisation time zone)")
	f.StringVar(&to, "to", "", "last day of an explicit period (YYYY-MM-DD, inclusive)")
	f.StringVar(&format, "format", "", "report format: "+strings.Join(report.Formats, ", ")+" (default: the -o file's extension, else md)")
	f.StringVarP(&out, "output", "o", "", "FILE to write the report to (its data beside it as FILE.json), or json to print the data")
	f.StringVar(&config, "config", "", "YAML plan file: the report section's targets, and the staffing, budget and crisis settings")
	a.addDemoFlag(cmd)
	return cmd
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
