package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// runUser manages accounts from the shell: the first operator of a fresh
// deployment, and password recovery when nobody can log in.
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create-operator" && args[0] != "reset-operator-password") {
		fmt.Fprintln(stderr, "Usage: waihu user create-operator --email E --name N [--role admin|sales|finance|support] [--password P] [db options]")
		fmt.Fprintln(stderr, "       waihu user reset-operator-password --email E [--password P] [db options]")
		fmt.Fprintln(stderr, "The password may also come from $WAIHU_OPERATOR_PASSWORD or a line on standard input.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errors.New("unknown or missing subcommand")
	}
	sub := args[0]
	fs := flag.NewFlagSet("waihu user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "operator email (login name)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", store.StaffAdmin, "role: admin, sales, finance or support")
	password := fs.String("password", "", "password (prefer $WAIHU_OPERATOR_PASSWORD or standard input)")
	// The database options are the serve options; collect the rest for config.Load.
	var rest []string
	known := map[string]bool{"email": true, "name": true, "role": true, "password": true}
	for i := 1; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		key := strings.SplitN(a, "=", 2)[0]
		if known[key] {
			if err := fs.Parse(args[i : i+min(2, len(args)-i)]); err != nil {
				return err
			}
			if !strings.Contains(a, "=") {
				i++
			}
			continue
		}
		rest = append(rest, args[i])
	}
	cfg, err := config.Load("waihu user "+sub, rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	if *password == "" {
		*password = os.Getenv("WAIHU_OPERATOR_PASSWORD")
	}
	if *password == "" {
		fmt.Fprint(stderr, "password: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("no password given (use --password, $WAIHU_OPERATOR_PASSWORD or standard input)")
		}
		*password = strings.TrimRight(line, "\r\n")
	}
	log := newLogger(cfg, stderr)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts := tenant.New(db, log, tenant.Options{})
	ctx = tenant.WithPrincipal(ctx, &tenant.Principal{Kind: tenant.ActorSystem, Name: "waihu user " + sub})
	if sub == "reset-operator-password" {
		if err := accounts.SetStaffPassword(ctx, *email, *password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password reset for %s\n", tenant.NormalizeEmail(*email))
		return nil
	}
	if *name == "" {
		*name = strings.SplitN(*email, "@", 2)[0]
	}
	st, err := accounts.CreateStaff(ctx, tenant.NewStaff{Email: *email, Name: *name, Role: *role, Password: *password})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created operator %s (id %d, role %s); log in at /admin/login\n", st.Email, st.ID, st.Role)
	return nil
}
