package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"privaq"
	"privaq/internal/config"
	"privaq/internal/inventory"
)

// runInventoryImport replaces an organization's inventory with a file, all
// or nothing: an invalid document writes nothing and exits 1 with its first
// problem.
func runInventoryImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("inventory import", "inventory import --org SLUG [--format yaml|json] FILE.yaml|FILE.json|-",
		"Replaces the organization's whole inventory with the document in FILE (\"-\" reads\nstdin and needs --format). Nothing is written unless the whole document is\nvalid; the first problem is printed as \"field: message\". On success, prints\none line: the item counts and the compliance check's totals.", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	slug := fs.String("org", "", "organization slug")
	format := fs.String("format", "", "yaml or json (default: from the file's extension)")
	pos, err := fs.parseExact(args, 1, "org")
	if err != nil {
		return err
	}
	file := pos[0]
	if *format != "" && *format != inventory.FormatYAML && *format != inventory.FormatJSON {
		return usagef("--format must be yaml or json, not %q", *format)
	}
	if *format == "" {
		if file == "-" {
			return usagef("reading stdin (\"-\") needs --format yaml or --format json")
		}
		if *format, err = inventory.FormatFromName(file); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	data, err := readInput(file, stdin)
	if err != nil {
		return err
	}
	doc, err := inventory.Parse(data, *format)
	if err != nil {
		return err
	}
	db, o, err := openOrg(ctx, &cfg, *slug)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &inventory.Service{Store: db}
	rev, err := svc.Replace(ctx, privaq.System(o.ID), o.ID, doc)
	if err != nil {
		return err
	}
	stored, _, err := svc.Document(ctx, privaq.System(o.ID), o.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported the inventory of %s (revision %d): %s; compliance check: %s\n",
		o.Slug, rev, countItems(stored), countFindings(inventory.Check(stored)))
	return nil
}

// readInput reads a file, or stdin for "-", up to one byte over the import
// limit so that Parse reports an oversized document instead of a cut one.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, inventory.MaxDocumentSize+1))
}

func countItems(doc *inventory.Document) string {
	var parts []string
	for _, c := range inventory.Collections {
		parts = append(parts, fmt.Sprintf("%d %s", len(c.Keys(doc)), strings.ReplaceAll(c.Name(), "_", " ")))
	}
	return strings.Join(parts, ", ")
}

func countFindings(fs []inventory.Finding) string {
	n := map[inventory.Severity]int{}
	for _, f := range fs {
		n[f.Severity]++
	}
	return count(n[inventory.SeverityError], "error", "errors") + ", " + count(n[inventory.SeverityWarning], "warning", "warnings") +
		", " + count(n[inventory.SeverityInfo], "note", "notes")
}

// count writes a number with its noun in the right number.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
