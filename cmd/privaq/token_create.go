package main

import (
	"context"
	"fmt"
	"io"

	"privaq"
	"privaq/internal/config"
	"privaq/internal/org"
)

// runTokenCreate makes an API token and prints it alone on stdout: it is
// shown this once, and only its hash is stored.
func runTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("token create", "token create --org SLUG --role officer|staff|auditor|integration [--name NAME]",
		"Creates an API token and prints it alone on stdout. It is shown only this once;\nprivaq keeps only its hash.", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	slug := fs.String("org", "", "organization slug")
	role := fs.String("role", "", "officer, staff, auditor or integration")
	name := fs.String("name", "", "what the token is for (default: the role)")
	if _, err := fs.parseExact(args, 0, "org", "role"); err != nil {
		return err
	}
	r, err := privaq.ParseRole(*role)
	if err != nil {
		return usagef("--role must be officer, staff, auditor or integration, not %q", *role)
	}
	db, o, err := openOrg(ctx, &cfg, *slug)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	raw, _, err := svc.CreateToken(ctx, privaq.System(o.ID), o.ID, r, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, raw)
	return nil
}
