// Command watchfloor is the SOC manager's command platform: it ingests
// alerts, cases and their history from security tools, and answers for the
// watch floor's state, performance and plans. Run "watchfloor help".
package main

import (
	"os"

	"github.com/watchfloor/watchfloor/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
