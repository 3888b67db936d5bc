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
	db       string
	format   string
	demo     bool
	logLevel string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	log      *slog.Logger
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
			return nil
		},
	}
	def := os.Getenv("WATCHFLOOR_DB")
	if def == "" {
		def = store.DefaultPath()
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", def, "SQLite file path or postgres:// URL (env WATCHFLOOR_DB)")
	pf.StringVarP(&a.format, "output", "o", "table", "output format: table, json, csv or markdown")
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
		a.crisisCommand(),
		a.runbooksCommand(),
		a.trainingCommand(),
	)
	return root
}

// addDemoFlag adds --demo to a command that reads data.
func (a *app) addDemoFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&a.demo, "demo", false, "fill an empty store with the simulated demo SOC first")
}

// open opens the store; with --demo an empty store is filled first.
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

func (a *app) render(t output.Table) error {
	return output.Render(a.stdout, a.format, t)
}
