// Command waihu is the whole platform in one binary: the web server and
// calling engine (serve), schema migrations (migrate), account recovery
// (user), the switch simulator (sim), script tools (script) and benchmarks
// (bench). This file only parses the command line and wires packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the web server, API and calling engine", runServe},
		{"migrate", "bring the database schema up to date and exit", runMigrate},
		{"script", "check, chat with and classify against call scripts (FILE or template)", runScript},
		{"sim", "run the FreeSWITCH simulator (ESL server with scripted callees)", runSim},
		{"bench", "measure hot paths (import, dispatch, calls, turn)", runBench},
		{"user", "manage accounts from the shell (create-operator, reset-operator-password)", runUser},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			fmt.Fprintf(stdout, "waihu %s\n", version)
			return nil
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "waihu %s — AI outbound-calling platform (外呼)\n\nUsage: waihu <command> [options]\n\nCommands:\n", version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'waihu <command> --help' for a command's options.\n")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		}
		fmt.Fprintf(stderr, "waihu %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "waihu: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}
