package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) attackCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "The MITRE ATT&CK catalog coverage uses: the embedded one, or a newer bundle loaded from a file",
	}
	cmd.AddCommand(a.attackLoadCommand(), a.attackShowCommand())
	return cmd
}

func (a *app) attackLoadCommand() *cobra.Command {
	var reset bool
	cmd := &cobra.Command{
		Use:   "load FILE",
		Short: "Use an ATT&CK Enterprise STIX bundle (enterprise-attack.json, gzipped or not) instead of the embedded catalog",
		Long: `Load parses a MITRE ATT&CK STIX 2.0/2.1 bundle and, when it holds tactics and
techniques, stores it: coverage, its layers and the roadmap then use its
techniques and its tactics (a version that renames or splits tactics is
summed as it has them) without a new binary. --reset goes back to the
embedded catalog.`,
		Example: `  watchfloor attack load enterprise-attack-19.0.json
  watchfloor attack load --reset`,
		Args: func(cmd *cobra.Command, args []string) error {
			if reset {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if reset {
				if err := coverage.ResetBundle(cmd.Context(), st); err != nil {
					return err
				}
				a.log.Info("ATT&CK catalog reset to the embedded one")
				a.printf("Coverage uses the embedded ATT&CK catalog again.\n")
				return nil
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			data, err := io.ReadAll(io.LimitReader(f, 200<<20+1))
			f.Close()
			if err != nil {
				return err
			}
			cat, err := coverage.LoadBundle(cmd.Context(), st, data, filepath.Base(args[0]), time.Now())
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			a.log.Info("ATT&CK bundle loaded", "file", args[0], "tactics", len(cat.Tactics()), "techniques", len(cat.Techniques()))
			return a.renderCatalogTactics(cat.Tactics(), func(short string) int { return len(cat.TechniquesForTactic(short)) }, "Loaded "+filepath.Base(args[0]))
		},
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "go back to the embedded catalog")
	return cmd
}

func (a *app) attackShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Which ATT&CK catalog coverage uses, with its tactics",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			cat, version, err := coverage.StoredCatalog(cmd.Context(), st)
			if err != nil {
				return err
			}
			return a.renderCatalogTactics(cat.Tactics(), func(short string) int { return len(cat.TechniquesForTactic(short)) }, "ATT&CK "+version)
		}),
	}
}

func (a *app) renderCatalogTactics(tactics []attack.Tactic, techniques func(string) int, title string) error {
	t := output.Table{Name: "tactics", Title: title, Columns: []string{"tactic", "short name", "name", "techniques"}}
	for _, ta := range tactics {
		t.Rows = append(t.Rows, []string{ta.ID, ta.ShortName, ta.Name, strconv.Itoa(techniques(ta.ShortName))})
	}
	if a.format == "json" {
		return a.render(output.Table{JSON: tactics})
	}
	return a.render(t)
}
