package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) rollupsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "rollups", Short: "Repair the aggregates kept at ingest"}
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Count the kept alert rollups and case handle times again from the stored rows",
		Long: `Rebuild recomputes the per-day alert rollups (by rule: counts by severity,
disposition and technique list, case links, MTTD) from the stored alert rows,
replacing the ones ingest keeps, and marks every alert day for the reports to
rebuild. It then measures every case's kept handle time (the time people
actively worked it) again from its event log, and marks the days of the cases
whose handle time changed. The staffing model's case arrivals per quarter
hour are counted again and its handle-time summaries per hour dropped, to
be rebuilt from the rows by the next plan. Ingest keeps all of them exactly
in step, so this is a repair, for example after rows were changed outside
Watchfloor.`,
		Args: cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			n, err := st.RebuildAlertRollups(cmd.Context())
			if err != nil {
				return err
			}
			a.log.Info("alert rollups rebuilt", "rollups", n)
			fmt.Fprintf(a.stdout, "rebuilt %d alert rollups from the stored alerts\n", n)
			if n, err = st.RebuildHandleTimes(cmd.Context()); err != nil {
				return err
			}
			a.log.Info("handle times measured again", "cases", n)
			fmt.Fprintf(a.stdout, "measured the handle times of %d cases from their logs\n", n)
			return nil
		}),
	}
	cmd.AddCommand(rebuild)
	return cmd
}
