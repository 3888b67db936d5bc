// Package cli implements the watchfloor command line: one cobra command per
// verb, each opening the store named by --db (or WATCHFLOOR_DB) and printing
// through the output package in the format chosen with -o.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitRejects = 2 // ingest stored the good records but rejected some
)

// exitError carries a specific exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// app is the state shared by all commands of one invocation.
type app struct {
	db     string
	format string
	table  string // --table: the table -o csv prints
	demo   bool
	// demoSilence is serve's --demo-silence: a source (or SOURCE/RULE) the
	// live demo stops delivering.
	demoSilence string
	logLevel    string
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	log         *slog.Logger
	// tables are the tables a command rendered with -o csv, which prints
	// one of them and nothing else when the command ends.
	tables []output.Table
	// serveRetention are serve's retention flags (config check reads them).
	serveRetention retentionFlags
}

// Main runs the command line and returns the process exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("WATCHFLOOR_CPUPROFILE"); path != "" {
		// For the benchmark notes: a CPU profile of the whole command.
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "watchfloor: WATCHFLOOR_CPUPROFILE:", err)
			return ExitError
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "watchfloor:", output.Terminal(err.Error()))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "watchfloor",
		Short: "The SOC manager's command platform",
		Long: `Watchfloor gives the person who runs a Security Operations Center a true,
measured picture of the watch floor: it ingests alerts, cases and their
history from SIEM/SOAR tools and computes the KPIs, plans and reports.

Data lives in an embedded SQLite file by default, or in PostgreSQL
(--db postgres://...) when several Watchfloor processes share it.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := output.CheckFormat(a.format); err != nil {
				return err
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}))
			if a.table != "" && a.format != "csv" {
				return errors.New("--table goes with -o csv (the other formats print every table)")
			}
			return nil
		},
		PersistentPostRunE: func(*cobra.Command, []string) error { return a.flushCSV() },
	}
	def := os.Getenv("WATCHFLOOR_DB")
	if def == "" {
		def = store.DefaultPath()
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", def, "SQLite file path or postgres:// URL (env WATCHFLOOR_DB)")
	pf.StringVarP(&a.format, "output", "o", "table", "output format: table, json, csv or markdown")
	pf.StringVar(&a.table, "table", "", "with -o csv: the table to print, for commands that print several")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.AddCommand(
		a.ingestCommand(),
		a.formatsCommand(),
		a.statusCommand(),
		a.alertsCommand(),
		a.casesCommand(),
		a.demoCommand(),
		a.metricsCommand(),
		a.monitorCommand(),
		a.settingsCommand(),
		a.resourcesCommand(),
		a.budgetCommand(),
		a.serveCommand(),
		a.usersCommand(),
		a.mcpCommand(),
		a.intelCommand(),
		a.slaCommand(),
		a.crisisCommand(),
		a.runbooksCommand(),
		a.trainingCommand(),
		a.rollupsCommand(),
		a.reportCommand(),
		a.backupCommand(),
		a.restoreCommand(),
		a.doctorCommand(),
		a.retentionCommand(),
		a.eraseCommand(),
		a.configCommand(),
		a.versionCommand(),
		a.coverageCommand(),
		a.attackCommand(),
		a.strategyCommand(),
		a.techCommand(),
		a.postureCommand(),
	)
	return root
}

// addDemoFlag adds --demo to a command that reads data.
func (a *app) addDemoFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&a.demo, "demo", false, "fill an empty store with the simulated demo SOC first")
}

// open opens the store, creating it when missing (commands that write);
// with --demo an empty store is filled first.
func (a *app) open(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, a.db)
	if err != nil {
		return nil, err
	}
	if a.demo {
		if err := a.ensureDemo(ctx, st); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

// openRead opens the store for a command that only reads. A store that
// does not exist is an error naming how to make one, not a new empty store
// made by mistake (a mistyped --db); with --demo it is created and filled.
func (a *app) openRead(ctx context.Context) (*store.Store, error) {
	if !a.demo {
		ok, err := store.Exists(ctx, a.db)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("no store at %s — create one with `watchfloor ingest` or `--demo`", store.Redact(a.db))
		}
	}
	return a.open(ctx)
}

// hasData reports whether the store holds alerts or cases; when it holds
// none it says so on standard error, so a report prints that hint instead
// of a page of zeros.
func (a *app) hasData(ctx context.Context, st *store.Store) (bool, error) {
	ok, err := st.HasData(ctx)
	if err != nil || ok {
		return ok, err
	}
	fmt.Fprintf(a.stderr, "the store at %s holds no alerts or cases yet — add some with `watchfloor ingest` or `--demo`\n",
		output.Terminal(store.Redact(a.db)))
	return false, nil
}

// render prints a table; with -o csv it is kept for flushCSV.
func (a *app) render(t output.Table) error {
	if a.format == "csv" {
		if len(t.Columns) > 0 {
			a.tables = append(a.tables, t)
		}
		return nil
	}
	return output.Render(a.stdout, a.format, t)
}

// printf prints a report's text besides its tables; -o csv prints tables
// only.
func (a *app) printf(format string, args ...any) {
	if a.format != "csv" {
		fmt.Fprintf(a.stdout, format, args...)
	}
}

// esc escapes text from the data (policy names, warnings quoting them) for
// the report's format: Markdown in -o markdown, else the terminal.
func (a *app) esc(s string) string {
	if a.format == "markdown" {
		return output.Markdown(s)
	}
	return output.Terminal(s)
}

// println is printf with fmt.Println's spacing.
func (a *app) println(args ...any) {
	if a.format != "csv" {
		fmt.Fprintln(a.stdout, args...)
	}
}

// flushCSV prints, with -o csv, the one table the command rendered or the
// one --table names: CSV is one table per invocation, nothing else.
func (a *app) flushCSV() error {
	if a.format != "csv" || (len(a.tables) == 0 && a.table == "") {
		return nil
	}
	names := make([]string, len(a.tables))
	for i, t := range a.tables {
		names[i] = t.TableName()
	}
	pick := -1
	switch {
	case a.table != "":
		pick = slices.Index(names, a.table)
		if pick < 0 {
			if len(names) == 0 {
				return fmt.Errorf("--table %q: this command printed no table", a.table)
			}
			return fmt.Errorf("--table %q: this command's tables are %s", a.table, strings.Join(names, ", "))
		}
	case len(a.tables) == 1:
		pick = 0
	default:
		return fmt.Errorf("this command prints several tables; choose one with --table NAME: %s", strings.Join(names, ", "))
	}
	return output.Render(a.stdout, "csv", a.tables[pick])
}
