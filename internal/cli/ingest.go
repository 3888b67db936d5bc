package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) ingestCommand() *cobra.Command {
	var opt ingest.Options
	var rejectFile string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "ingest FILE|- ...",
		Short: "Read alerts, cases, events, analysts, rules, findings or threat intelligence into the store",
		Long: `Ingest reads each FILE (or standard input for "-") and stores its records.
Alerts are matched against the stored threat-intelligence indicators as they
land; threat intelligence (STIX, MISP, galaxy clusters, IoC lists) is
retro-hunted in the last 90 days of alerts.
The format is detected from the content unless --format names it; see
"watchfloor formats". Re-ingesting a file changes nothing; an updated record
appends events to the history instead of overwriting it.

Each rejected record is reported with its location (file:line or JSON path)
and the reason, and the rest still lands. The exit status is 2 when records
were rejected; --reject-file writes them out for fixing and re-ingesting.
A value that maps to nothing in its vocabulary ("priority": "banana") and
an SLA policy that fails validation are rejected with the field named; a
record the database refuses is rejected alone, never its batch.

Text is repaired the same way on every engine: NUL characters and invalid
UTF-8 become U+FFFD, and each repaired record is reported as a warning and
counted. A record dated more than 5 minutes ahead of the clock is stored,
flagged with a warning and counted; reports keep it out of their default
windows.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if rejectFile != "" {
				f, err := os.Create(rejectFile)
				if err != nil {
					return fmt.Errorf("creating reject file: %w", err)
				}
				defer f.Close()
				opt.Rejects = f
			}
			shown := 0
			opt.OnReject = func(loc string, err error) {
				if shown++; shown <= 100 || !quiet {
					fmt.Fprintf(a.stderr, "rejected %s: %s\n", output.Terminal(loc), output.Terminal(err.Error()))
				}
			}
			warned := 0
			opt.OnWarning = func(loc, msg string) {
				if warned++; warned <= 100 || !quiet {
					fmt.Fprintf(a.stderr, "warning %s: %s\n", output.Terminal(loc), output.Terminal(msg))
				}
			}
			opt.Matcher = &intel.Matcher{Store: st, Log: a.log}
			rejected, changed := 0, 0
			for _, path := range args {
				var r io.Reader
				name := path
				if path == "-" {
					r, name = a.stdin, "stdin"
				} else {
					f, err := os.Open(path)
					if err != nil {
						return fmt.Errorf("opening input: %w", err)
					}
					defer f.Close()
					r, name = f, filepath.Base(path)
				}
				sum, err := ingest.Run(ctx, st, r, name, opt)
				if err != nil && !errors.Is(err, ingest.ErrRejects) {
					return err
				}
				rejected += sum.Rejected
				changed += sum.Inserted[store.KindIndicator] + sum.Updated[store.KindIndicator]
				fmt.Fprintln(a.stdout, output.Terminal(name+": "+sum.String()))
				a.log.Debug("ingested", "input", name, "format", sum.Format, "records", sum.Records, "rejected", sum.Rejected)
			}
			if err := a.huntAfter(ctx, st, changed); err != nil {
				return err
			}
			if rejected > 0 {
				return &exitError{code: ExitRejects, err: fmt.Errorf("%d records rejected", rejected)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Format, "format", "", "input format (default: detect); see 'watchfloor formats'")
	f.IntVar(&opt.BatchSize, "batch-size", 5000, "records per transaction")
	f.StringVar(&rejectFile, "reject-file", "", "write rejected records here as JSON lines {loc, reason, record}")
	f.BoolVarP(&quiet, "quiet", "q", false, "report only the first 100 rejects and warnings on standard error")
	return cmd
}

func (a *app) formatsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "formats",
		Short: "List the input formats ingest understands",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t := output.Table{Columns: []string{"format", "detected", "description"}}
			for _, f := range ingest.Formats() {
				det := "no (name it with --format)"
				if f.Detect != nil {
					det = "yes"
				}
				t.Rows = append(t.Rows, []string{f.Name, det, f.Description})
			}
			return a.render(t)
		},
	}
}
