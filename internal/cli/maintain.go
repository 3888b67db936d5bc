package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) backupCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent, verified copy of a SQLite store while serve and ingest keep running",
		Long: `Copy the SQLite store to FILE with VACUUM INTO: one read transaction, so
serve and ingest keep writing while it runs and the copy is the store as of
its start. The copy passes SQLite's integrity check before the command
reports success; FILE is never overwritten. The backup is recorded in the
store's audit log.

PostgreSQL stores are backed up with pg_dump (see the README's "Running in
production"); check a restored database with watchfloor doctor.`,
		Example: `  watchfloor backup --out /var/backups/watchfloor/$(date -u +%Y%m%dT%H%M%SZ).db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if out == "" {
				return errors.New("--out FILE is required")
			}
			if store.IsPostgres(a.db) {
				return store.ErrBackupEngine
			}
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			info, err := st.Backup(ctx, out)
			if err != nil {
				return err
			}
			a.auditCLI(ctx, &auth.Service{Store: st}, "backup", out, backupDetail(info))
			return a.renderBackup("Backup written and verified", info)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the backup file to write (must not exist)")
	return cmd
}

func backupDetail(info store.BackupInfo) string {
	return fmt.Sprintf("schema %04d, %d bytes, %d alerts, %d cases, %d case events, %d users; integrity check ok",
		info.SchemaVersion, info.Bytes, info.Counts["alerts"], info.Counts["cases"], info.Counts["case_events"], info.Users)
}

// renderBackup prints a backup's file, schema version and row counts.
func (a *app) renderBackup(title string, info store.BackupInfo) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: info})
	}
	t := output.Table{Name: "backup", Title: title + ": " + info.Path, Columns: []string{"what", "value"}}
	t.Rows = append(t.Rows, []string{"schema version", fmt.Sprintf("%04d", info.SchemaVersion)},
		[]string{"bytes", strconv.FormatInt(info.Bytes, 10)}, []string{"integrity check", "ok"})
	if info.Took > 0 {
		t.Rows = append(t.Rows, []string{"took", info.Took.Round(time.Millisecond).String()})
	}
	for _, name := range store.Tables {
		if n, ok := info.Counts[name]; ok {
			t.Rows = append(t.Rows, []string{name, strconv.FormatInt(n, 10)})
		}
	}
	t.Rows = append(t.Rows, []string{"users", strconv.FormatInt(info.Users, 10)})
	return a.render(t)
}

func (a *app) restoreCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the SQLite store named by --db with a backup file",
		Long: `Restore a backup made by watchfloor backup (or a scheduled backup of serve)
into the SQLite store named by --db. The backup is verified first: a file
that fails SQLite's integrity check or is not a Watchfloor store is refused
before anything is touched. A store that already holds data or accounts is
refused unless --force is given. Stop serve before restoring over its store.
A backup made by an older release is upgraded by the restore (its
migrations run), and the restore is recorded in the restored store's audit
log.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if store.IsPostgres(a.db) {
				return store.ErrBackupEngine
			}
			info, err := store.Restore(ctx, args[0], a.db, force)
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, a.db) // applies the migrations an older backup lacks
			if err != nil {
				return fmt.Errorf("opening the restored store: %w", err)
			}
			defer st.Close()
			v, err := st.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			detail := backupDetail(info)
			if v != info.SchemaVersion {
				detail += fmt.Sprintf("; upgraded to schema %04d", v)
			}
			if force {
				detail += "; --force"
			}
			a.auditCLI(ctx, &auth.Service{Store: st}, "restore", args[0], detail)
			if v != info.SchemaVersion {
				a.printf("upgraded from schema %04d to %04d\n", info.SchemaVersion, v)
			}
			return a.renderBackup("Restored into "+store.Redact(a.db)+" from", info)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace a store that already holds data")
	return cmd
}

func (a *app) doctorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check a store: integrity, migrations, counts, clocks; exit 1 on a problem",
		Long: `Check the store named by --db without changing it: SQLite's integrity and
foreign key checks, the migrations applied against this build's (pending
ones are applied by the next command that writes; unknown ones mean a newer
release wrote the store), row counts, records dated ahead of this machine's
clock and, on PostgreSQL, the skew between the database's clock and this
machine's. It exits with status 1 when a check fails, so it can gate a
restore or an upgrade.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := a.diagnose(ctx)
			if err != nil {
				return err
			}
			if err := a.renderDiagnosis(d); err != nil {
				return err
			}
			if !d.OK() {
				return &exitError{code: ExitError, err: errors.New("the store has problems (the failed checks above)")}
			}
			return nil
		},
	}
	return cmd
}

// diagnose inspects the store named by --db without migrating it.
func (a *app) diagnose(ctx context.Context) (*store.Diagnosis, error) {
	st, err := store.OpenInspect(ctx, a.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Diagnose(ctx, time.Now())
}

func (a *app) renderDiagnosis(d *store.Diagnosis) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: d})
	}
	t := output.Table{Name: "checks", Title: "Store " + d.Engine.Describe(store.Redact(a.db)), Columns: []string{"check", "state", "detail"}}
	for _, c := range d.Checks {
		t.Rows = append(t.Rows, []string{c.Name, c.State, c.Detail})
	}
	if err := a.render(t); err != nil {
		return err
	}
	if len(d.Counts) == 0 {
		return nil
	}
	a.println()
	counts := output.Table{Name: "counts", Title: "Rows", Columns: []string{"table", "rows"}}
	for _, name := range store.Tables {
		if n, ok := d.Counts[name]; ok {
			counts.Rows = append(counts.Rows, []string{name, strconv.FormatInt(n, 10)})
		}
	}
	return a.render(counts)
}
