package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) reportShiftCommand() *cobra.Command {
	var handover, save bool
	var day, format, out string
	cmd := &cobra.Command{
		Use:   "shift --handover",
		Short: "The daily shift handover: open P1/P2 cases, SLA breaches and clocks at risk, notable alerts, on-shift load and hand-over notes",
		Long: `Writes the shift-handover summary of one day: the open P1 and P2 cases
and the SLA clocks past or near their target now (as "monitor operations
--soc-dashboard" shows them), the day's cases, alerts, MTTA and
acknowledge adherence (as "metrics soc --performance" and "metrics rules"
give them for that day), its critical and high alerts and intelligence
matches, each analyst's open work and whether they are on shift, and the
latest comments left on open cases during the day. A section without data
says so in one line.

-o FILE writes the report to FILE (the format from --format or the file's
extension) and its data beside it as FILE.json; -o json prints the data.`,
		Example: `  watchfloor report shift --handover --demo
  watchfloor report shift --handover --day 2026-11-30 -o handover.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !handover {
				return errors.New("say what to write: --handover")
			}
			return a.writeKindReport(cmd, report.Request{Kind: report.KindShift, Day: day}, save, out, format)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&handover, "handover", false, "write the shift-handover summary")
	f.BoolVar(&save, "save", false, "also keep the report in the report history (report list, the Reports page)")
	f.StringVar(&day, "day", "", "the day handed over (YYYY-MM-DD, organisation time zone; default: today, or the day of the newest data)")
	f.StringVar(&format, "format", "", "report format: "+strings.Join(report.Formats, ", ")+" (default: the -o file's extension, else md)")
	f.StringVarP(&out, "output", "o", "", "FILE to write the report to (its data beside it as FILE.json), or json to print the data")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) reportOperationsCommand() *cobra.Command {
	var weekly, save bool
	var from, to, format, out string
	cmd := &cobra.Command{
		Use:   "operations --weekly",
		Short: "The SOC lead's weekly operations review: cases, MTTA and MTTR medians, SLA adherence and workload, per team and per analyst",
		Long: `Writes the weekly operations review: the week's cases opened and done,
MTTA and MTTR medians and SLA adherence beside the previous week's, its
alerts and false-positive rate, the open work now, and the same figures per
team and per analyst with each analyst's open cases now. Every figure is
the one "metrics soc --performance [--group-by team|analyst]", "metrics
rules" and "monitor operations" give for the same window. A section without
data says so in one line.

-o FILE writes the report to FILE (the format from --format or the file's
extension) and its data beside it as FILE.json; -o json prints the data.`,
		Example: `  watchfloor report operations --weekly --demo
  watchfloor report operations --weekly --from 2026-11-23 --to 2026-11-29 -o review.pdf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !weekly {
				return errors.New("say what to write: --weekly")
			}
			return a.writeKindReport(cmd, report.Request{Kind: report.KindOperations, From: from, To: to}, save, out, format)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&weekly, "weekly", false, "write the weekly operations review")
	f.BoolVar(&save, "save", false, "also keep the report in the report history (report list, the Reports page)")
	f.StringVar(&from, "from", "", "first day of an explicit period (YYYY-MM-DD, organisation time zone; default: the last 7 days)")
	f.StringVar(&to, "to", "", "last day of an explicit period (YYYY-MM-DD, inclusive)")
	f.StringVar(&format, "format", "", "report format: "+strings.Join(report.Formats, ", ")+" (default: the -o file's extension, else md)")
	f.StringVarP(&out, "output", "o", "", "FILE to write the report to (its data beside it as FILE.json), or json to print the data")
	a.addDemoFlag(cmd)
	return cmd
}

// writeKindReport runs the shift handover or the operations review: it
// checks the destination, opens the store, says so when it holds no data,
// and builds, keeps (--save) and writes the report.
func (a *app) writeKindReport(cmd *cobra.Command, req report.Request, save bool, out, format string) error {
	dest, fmtName, err := reportDestination(out, format)
	if err != nil {
		return err
	}
	return a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
		if ok, err := a.hasData(cmd.Context(), st); !ok || err != nil {
			return err
		}
		src := report.Sources{Store: st, Metrics: metrics.NewService(st, nil)}
		return a.buildReport(cmd, st, src, req, save, dest, fmtName)
	})(cmd, nil)
}

// buildReport builds a report, keeps it in the history with --save
// (audited), and writes it.
func (a *app) buildReport(cmd *cobra.Command, st *store.Store, src report.Sources, req report.Request, save bool, dest, fmtName string) error {
	ctx := cmd.Context()
	if !save {
		rep, err := src.Build(ctx, req)
		if err != nil {
			return err
		}
		return a.writeReport(rep, dest, fmtName)
	}
	rep, id, err := src.GenerateKind(ctx, req, cliActor(), "")
	if err != nil {
		return err
	}
	c := rep.Covers()
	a.auditCLI(ctx, &auth.Service{Store: st}, cmd.CommandPath()+" --save", fmt.Sprintf("report %d", id), c.From+" to "+c.To)
	fmt.Fprintf(a.stderr, "saved as report %d (watchfloor report show %d)\n", id, id)
	return a.writeReport(rep, dest, fmtName)
}
