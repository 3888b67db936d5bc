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
		Short: "Count the kept alert rollups again from the stored alerts",
		Long: `Rebuild recomputes the per-day alert rollups (by rule: counts by severity,
disposition and technique list, case links, MTTD) from the stored alert rows,
replacing the ones ingest keeps, and marks every alert day for the reports to
rebuild. Ingest keeps them exactly in step, so this is a repair, for example
after alert rows were changed outside Watchfloor.`,
		Args: cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			n, err := st.RebuildAlertRollups(cmd.Context())
			if err != nil {
				return err
			}
			a.log.Info("alert rollups rebuilt", "rollups", n)
			fmt.Fprintf(a.stdout, "rebuilt %d alert rollups from the stored alerts\n", n)
			return nil
		}),
	}
	cmd.AddCommand(rebuild)
	return cmd
}
