package main

import (
	"context"
	"fmt"
	"io"

	"privaq/internal/config"
)

// runMigrate applies the pending migrations; serve does the same at start,
// so this is for operators who migrate before rolling out new nodes.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("migrate", "migrate [--data DIR] [--database-url URL]",
		"Applies the pending database migrations (serve also does it at start).", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	if _, err := fs.parseExact(args, 0); err != nil {
		return err
	}
	db, err := openStore(ctx, &cfg) // Open migrates
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Ready(ctx); err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s database schema is up to date (version %d)\n", db.Engine(), v)
	return nil
}
