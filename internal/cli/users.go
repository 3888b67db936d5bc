package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

// PasswordEnv names the variable a password may be given in, so it never
// appears on a command line.
const PasswordEnv = "WATCHFLOOR_PASSWORD"

// readPassword takes the password from $WATCHFLOOR_PASSWORD or the first
// line of standard input.
func (a *app) readPassword() (string, error) {
	if pw, ok := os.LookupEnv(PasswordEnv); ok {
		return pw, nil
	}
	fmt.Fprintf(a.stderr, "password (read from standard input, or set %s): ", PasswordEnv)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	fmt.Fprintln(a.stderr)
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// cliActor names the operator in the audit log.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

func (a *app) auditCLI(ctx context.Context, svc *auth.Service, action, target, detail string) {
	host, _ := os.Hostname()
	e := store.AuditEntry{Actor: cliActor(), Role: "local", Action: action, Target: target, Remote: "local:" + host, Status: 0, Detail: detail}
	if err := svc.Audit(ctx, e); err != nil {
		a.log.Error("writing audit log", "err", err)
	}
}

// parseTTL reads a lifetime such as "90d", "12h" or "0" (no expiry).
func parseTTL(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("--ttl %q: want a number of days such as 90d, or a duration such as 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--ttl %q: want a number of days such as 90d, or a duration such as 12h", s)
	}
	return d, nil
}

func (a *app) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the web server's accounts and API tokens",
		Long: `Accounts sign in to the dashboard; API tokens authenticate scripts,
Prometheus and ingest pipelines. Roles: viewer (dashboard and KPIs),
analyst (+ cases and alerts), manager (+ the account list), admin
(everything, including the audit log) and ingest (posting data only).

Passwords are read from standard input or $` + PasswordEnv + `, never from
the command line. Tokens are shown once and stored only hashed.`,
	}
	cmd.AddCommand(a.usersAddCommand(), a.usersTokenCommand(), a.usersListCommand(), a.usersPasswdCommand(), a.usersDisableCommand(), a.usersRevokeCommand())
	return cmd
}

func (a *app) usersAddCommand() *cobra.Command {
	var role string
	var noPassword bool
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create an account (the first admin, an analyst, a token-only pipeline)",
		Example: `  printf '%s\n' "$PW" | watchfloor users add alice --role admin
  watchfloor users add siem --role ingest --no-password && watchfloor users token siem`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r, err := auth.ParseRole(role)
			if err != nil {
				return err
			}
			pw := ""
			if !noPassword {
				if pw, err = a.readPassword(); err != nil {
					return err
				}
				if pw == "" {
					return errors.New("empty password (use --no-password for a token-only account)")
				}
			}
			st, err := store.Open(ctx, a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			svc := &auth.Service{Store: st}
			u, err := svc.CreateUser(ctx, args[0], r, pw)
			if err != nil {
				return err
			}
			a.auditCLI(ctx, svc, "users add", "user:"+u.Name, "role="+u.Role)
			fmt.Fprintf(a.stdout, "created %s (%s)\n", output.Terminal(u.Name), u.Role)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", string(auth.Viewer), "viewer, analyst, manager, admin or ingest")
	cmd.Flags().BoolVar(&noPassword, "no-password", false, "create a token-only account that cannot sign in")
	return cmd
}

func (a *app) usersTokenCommand() *cobra.Command {
	var label, ttl string
	cmd := &cobra.Command{
		Use:   "token NAME",
		Short: "Issue an API token for an account (printed once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := parseTTL(ttl)
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			svc := &auth.Service{Store: st}
			secret, t, err := svc.CreateToken(ctx, args[0], label, d)
			if err != nil {
				return err
			}
			a.auditCLI(ctx, svc, "users token", "user:"+args[0], fmt.Sprintf("token id=%d name=%q", t.ID, t.Name))
			expires := "never expires"
			if !t.ExpiresAt.IsZero() {
				expires = "expires " + t.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(a.stderr, "token %d for %s %s (revoke it with `watchfloor users revoke %d`)\n", t.ID, output.Terminal(args[0]), expires, t.ID)
			fmt.Fprintln(a.stdout, secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&label, "name", "", "a label for the token (where it is used)")
	cmd.Flags().StringVar(&ttl, "ttl", "90d", "lifetime, e.g. 90d or 12h; 0 for no expiry")
	return cmd
}

func (a *app) usersListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store.Open(cmd.Context(), a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			us, err := st.Users(cmd.Context())
			if err != nil {
				return err
			}
			t := output.Table{Columns: []string{"name", "role", "password", "single sign-on", "disabled", "created"}}
			for _, u := range us {
				t.Rows = append(t.Rows, []string{u.Name, u.Role, strconv.FormatBool(u.PasswordHash != ""), output.Terminal(u.OIDCSubject),
					strconv.FormatBool(u.Disabled), u.CreatedAt.Format(time.RFC3339)})
			}
			return a.render(t)
		},
	}
}

func (a *app) usersPasswdCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set an account's password (from standard input or $" + PasswordEnv + "); its sessions end",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pw, err := a.readPassword()
			if err != nil {
				return err
			}
			if pw == "" {
				return errors.New("empty password")
			}
			st, err := store.Open(ctx, a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			svc := &auth.Service{Store: st}
			if err := svc.SetPassword(ctx, args[0], pw); err != nil {
				return err
			}
			a.auditCLI(ctx, svc, "users passwd", "user:"+args[0], "")
			fmt.Fprintf(a.stdout, "password of %s changed\n", output.Terminal(args[0]))
			return nil
		},
	}
}

func (a *app) usersDisableCommand() *cobra.Command {
	var enable bool
	cmd := &cobra.Command{
		Use:   "disable NAME",
		Short: "Disable an account: its sessions end and its tokens stop working (--enable reverses)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := store.Open(ctx, a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			svc := &auth.Service{Store: st}
			u, err := svc.SetDisabled(ctx, args[0], !enable)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no account named %q", args[0])
			}
			if err != nil {
				return err
			}
			action := "users disable"
			if enable {
				action = "users enable"
			}
			a.auditCLI(ctx, svc, action, "user:"+u.Name, "")
			fmt.Fprintf(a.stdout, "%s %sd\n", output.Terminal(u.Name), strings.TrimPrefix(action, "users "))
			return nil
		},
	}
	cmd.Flags().BoolVar(&enable, "enable", false, "enable the account again")
	return cmd
}

func (a *app) usersRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke TOKEN-ID",
		Short: "Revoke an API token by the id printed when it was issued",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("token id %q: want a number", args[0])
			}
			st, err := store.Open(ctx, a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeAPIToken(ctx, id, time.Now().UTC()); err != nil {
				return err
			}
			a.auditCLI(ctx, &auth.Service{Store: st}, "users revoke", fmt.Sprintf("token:%d", id), "")
			fmt.Fprintf(a.stdout, "token %d revoked (servers stop accepting it within 5 s)\n", id)
			return nil
		},
	}
}
