package main

import (
	"context"
	"fmt"
	"io"

	"privaq"
	"privaq/internal/config"
	"privaq/internal/inventory"
	"privaq/internal/org"
)

// runOrgCreate creates an organization and prints its slug.
func runOrgCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("org create", "org create --slug SLUG --name NAME [--regime private|public|both] [--lang fr|en]",
		"Creates an organization with an empty inventory and its own encryption key,\nand prints its slug.", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	slug := fs.String("slug", "", "identifier used in URLs: lower-case letters, digits and hyphens")
	name := fs.String("name", "", "the organization's name")
	regime := fs.String("regime", string(inventory.RegimePrivate), "private (private sector Act), public (Access Act) or both")
	lang := fs.String("lang", "fr", "languages of the policy: fr (French only) or en (French and English)")
	if _, err := fs.parseExact(args, 0, "slug", "name"); err != nil {
		return err
	}
	switch inventory.Regime(*regime) {
	case inventory.RegimePrivate, inventory.RegimePublic, inventory.RegimeBoth:
	default:
		return usagef("--regime must be private, public or both, not %q", *regime)
	}
	if *lang != "fr" && *lang != "en" {
		return usagef("--lang must be fr or en, not %q", *lang)
	}
	db, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	o, err := svc.CreateOrg(ctx, privaq.System(0), *slug, *name, inventory.Regime(*regime), *lang)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, o.Slug)
	return nil
}
