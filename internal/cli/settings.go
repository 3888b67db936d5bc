package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) settingsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "settings", Short: "Show or change organisation settings"}
	show := &cobra.Command{
		Use:   "show",
		Short: "Show the settings",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			loc, err := st.TimeZone(cmd.Context())
			if err != nil {
				return err
			}
			org, err := (&intel.Service{Store: st}).OrgProfile(cmd.Context())
			if err != nil {
				return err
			}
			return a.render(output.Table{Columns: []string{"setting", "value", "meaning"}, Rows: [][]string{
				{store.SettingTimeZone, loc.String(), "time zone of KPI days, ISO weeks and shifts"},
				{"org sectors", strings.Join(org.Sectors, ", "), "sectors threat relevance is scored for (settings org)"},
				{"org regions", strings.Join(org.Regions, ", "), "countries and regions the organisation operates in"},
				{"org platforms", strings.Join(org.Platforms, ", "), "technology platforms (ATT&CK)"},
			}})
		}),
	}
	tz := &cobra.Command{
		Use:   "timezone ZONE",
		Short: "Set the organisation's IANA time zone (e.g. Europe/Berlin); KPI days are re-bucketed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SetTimeZone(cmd.Context(), args[0]); err != nil {
				return err
			}
			a.log.Info("setting changed", "setting", store.SettingTimeZone, "value", args[0])
			fmt.Fprintln(a.stdout, "time zone set to", output.Terminal(args[0]))
			return nil
		},
	}
	cmd.AddCommand(show, tz, a.orgCommand())
	return cmd
}
