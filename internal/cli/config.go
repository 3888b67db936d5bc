package cli

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/config"
	"github.com/watchfloor/watchfloor/internal/maintain"
	"github.com/watchfloor/watchfloor/internal/output"
)

// ConfigEnv names the variable that points serve at its configuration
// file.
const ConfigEnv = "WATCHFLOOR_CONFIG"

// applyConfig gives serve's settings from, in order, the command line, the
// environment and the configuration file (--config or WATCHFLOOR_CONFIG);
// the flags' defaults stay for the rest. A value that does not fit its
// setting is an error naming the file and line, or the variable.
func (a *app) applyConfig(cmd *cobra.Command, path string) error {
	var file *config.File
	if path == "" {
		path = os.Getenv(ConfigEnv)
	}
	if path != "" {
		var err error
		if file, err = config.Load(path); err != nil {
			return err
		}
	}
	level := a.logLevel
	for _, s := range config.Settings {
		f := cmd.Flags().Lookup(s.Flag)
		if f == nil {
			return fmt.Errorf("configuration setting %s: serve has no --%s", s.Key, s.Flag)
		}
		if f.Changed {
			continue // the command line wins
		}
		if v, ok := os.LookupEnv(s.Env); ok && v != "" {
			vals := []string{v}
			if s.Map || s.List {
				vals = strings.Split(v, ",")
			}
			if s.File {
				b, err := os.ReadFile(v)
				if err != nil {
					return fmt.Errorf("%s: %w", s.Env, err)
				}
				vals = []string{strings.TrimSpace(string(b))}
			}
			for _, x := range vals {
				if err := f.Value.Set(strings.TrimSpace(x)); err != nil {
					return fmt.Errorf("%s: %w", s.Env, err)
				}
			}
			f.Changed = true
			continue
		}
		if file == nil {
			continue
		}
		for _, v := range file.Values {
			if v.Setting.Key != s.Key {
				continue
			}
			for _, x := range v.Values {
				if err := f.Value.Set(x); err != nil {
					if s.File {
						return &config.LineError{Path: path, Line: v.Line, Msg: fmt.Sprintf("%s: the file's content is not a valid --%s", s.Key, s.Flag)}
					}
					return &config.LineError{Path: path, Line: v.Line, Msg: fmt.Sprintf("%s: %v", s.Key, err)}
				}
			}
			f.Changed = true
		}
	}
	if a.logLevel != level {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
			return fmt.Errorf("log level: %w", err)
		}
		a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}))
	}
	return nil
}

// checkConfig checks a configuration file as serve would read it: the
// file itself (syntax, keys, shapes, secret files), every value against
// its flag, and what the values name (the plan configuration, the
// retention periods, the listen address, the OpenID Connect roles). It
// returns every problem found.
func checkConfig(path string) (int, []error) {
	file, err := config.Load(path)
	var errs []error
	if err != nil {
		errs = append(errs, splitJoined(err)...)
		if file == nil {
			return 0, errs
		}
	}
	// A fresh serve command holds the flags the values must fit.
	tmp := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	root := tmp.rootCommand()
	serve, _, err := root.Find([]string{"serve"})
	if err != nil {
		return 0, append(errs, err)
	}
	if err := serve.ParseFlags(nil); err != nil {
		return 0, append(errs, err)
	}
	n := 0
	for _, v := range file.Values {
		f := serve.Flags().Lookup(v.Setting.Flag)
		if f == nil {
			errs = append(errs, &config.LineError{Path: path, Line: v.Line, Msg: v.Setting.Key + ": serve has no such flag"})
			continue
		}
		for _, x := range v.Values {
			if err := f.Value.Set(x); err != nil {
				msg := fmt.Sprintf("%s: %v", v.Setting.Key, err)
				if v.Setting.File {
					msg = fmt.Sprintf("%s: the file's content is not a valid --%s", v.Setting.Key, v.Setting.Flag)
				}
				errs = append(errs, &config.LineError{Path: path, Line: v.Line, Msg: msg})
				continue
			}
		}
		n++
		line := func(format string, args ...any) {
			errs = append(errs, &config.LineError{Path: path, Line: v.Line, Msg: v.Setting.Key + ": " + fmt.Sprintf(format, args...)})
		}
		val := ""
		if len(v.Values) > 0 {
			val = v.Values[0]
		}
		switch v.Setting.Key {
		case "listen":
			if _, _, err := net.SplitHostPort(val); err != nil {
				line("%v", err)
			}
		case "log_level":
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(val)); err != nil {
				line("%v", err)
			}
		case "plan_config":
			if _, err := loadPlanSettings(val); err != nil {
				line("%v", err)
			}
		case "oidc.client_secret_file":
			if _, err := os.ReadFile(val); err != nil {
				line("%v", err)
			}
		case "oidc.default_role":
			if _, err := auth.ParseRole(val); err != nil {
				line("%v", err)
			}
		case "oidc.roles":
			for _, m := range v.Values {
				if _, r, _ := strings.Cut(m, "="); r != "" {
					if _, err := auth.ParseRole(r); err != nil {
						line("%v", err)
					}
				}
			}
		case "retention.raw_payloads", "retention.alerts", "retention.case_logs":
			// Each period on its own line: the policy of this value alone.
			d, err := maintain.ParseDays(val)
			if err != nil {
				line("%v", err)
				break
			}
			p := map[string]maintain.Policy{"retention.raw_payloads": {RawPayloads: d}, "retention.alerts": {Alerts: d},
				"retention.case_logs": {CaseLogs: d}}[v.Setting.Key]
			if err := p.Validate(); err != nil {
				line("%v", err)
			}
		}
	}
	return n, errs
}

// splitJoined unwraps errors.Join.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check serve's configuration file"}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Check a configuration file (default: $WATCHFLOOR_CONFIG); exit 1 on a problem",
		Long: `Check a configuration file the way serve reads it and report every problem
with its line: YAML syntax, unknown settings (with the closest known one),
values that do not fit (durations, numbers, true/false, addresses, roles,
retention periods), secret files that cannot be read, and a plan
configuration that does not load. The settings and their environment
variables (which override the file; flags override both):

` + settingsHelp(),
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := os.Getenv(ConfigEnv)
			if len(args) == 1 {
				path = args[0]
			}
			if path == "" {
				return fmt.Errorf("name the file, or set %s", ConfigEnv)
			}
			n, errs := checkConfig(path)
			for _, e := range errs {
				fmt.Fprintln(a.stdout, output.Terminal(e.Error()))
			}
			if len(errs) > 0 {
				return &exitError{code: ExitError, err: fmt.Errorf("%s: %d problems", path, len(errs))}
			}
			fmt.Fprintf(a.stdout, "%s: ok, %d settings\n", output.Terminal(path), n)
			return nil
		},
	}
	cmd.AddCommand(check)
	return cmd
}

// settingsHelp lists the file's settings with their flags and variables.
func settingsHelp() string {
	var b strings.Builder
	for _, s := range config.Settings {
		fmt.Fprintf(&b, "  %-24s --%-24s %s\n", s.Key, s.Flag+map[bool]string{true: " (from file)", false: ""}[s.File], s.Env)
	}
	return b.String()
}

// BuildInfo is what watchfloor version prints.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Time      string `json:"commit_time,omitempty"`
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
}

// buildInfo reads the version, the commit and the Go version from the
// binary's build information.
func buildInfo() BuildInfo {
	bi := BuildInfo{Version: "(unknown)", Commit: "(unknown)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return bi
	}
	bi.GoVersion = info.GoVersion
	if info.Main.Version != "" {
		bi.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.Commit = s.Value
		case "vcs.time":
			bi.Time = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		}
	}
	return bi
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version this binary was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi := buildInfo()
			if a.format == "json" {
				return a.render(output.Table{JSON: bi})
			}
			mod := ""
			if bi.Modified {
				mod = " (modified)"
			}
			fmt.Fprintf(a.stdout, "watchfloor %s\ncommit %s%s %s\n%s\n", bi.Version, bi.Commit, mod, bi.Time, bi.GoVersion)
			return nil
		},
	}
}
