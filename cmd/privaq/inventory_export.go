package main

import (
	"bytes"
	"context"
	"io"

	"privaq/internal/config"
	"privaq/internal/inventory"
)

// runInventoryExport prints an organization's inventory in the import
// format; the output is canonical, so exports can be kept under version
// control and imported again unchanged.
func runInventoryExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("inventory export", "inventory export --org SLUG [--format yaml|json]",
		"Prints the organization's whole inventory on stdout, in the format\n\"inventory import\" reads.", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	slug := fs.String("org", "", "organization slug")
	format := fs.String("format", inventory.FormatYAML, "yaml or json")
	if _, err := fs.parseExact(args, 0, "org"); err != nil {
		return err
	}
	if *format != inventory.FormatYAML && *format != inventory.FormatJSON {
		return usagef("--format must be yaml or json, not %q", *format)
	}
	_, doc, err := loadInventory(ctx, &cfg, *slug)
	if err != nil {
		return err
	}
	// Encode into a buffer: a failure must not leave half a document on
	// stdout that a shell redirection would keep.
	var buf bytes.Buffer
	if err := doc.Encode(&buf, *format); err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}
