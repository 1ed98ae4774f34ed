package main

import (
	"bytes"
	"context"
	"io"
	"slices"

	"privaq/internal/config"
	"privaq/internal/inventory"
	"privaq/internal/policy"
)

// policyFormats are the output formats of "policy render".
var policyFormats = []string{"html", "md", "json"}

// runPolicyRender prints the current draft of an organization's privacy
// policy, rendered from its stored inventory (SPEC §2, §6).
func runPolicyRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("policy render", "policy render --org SLUG [--lang fr|en] [--format html|md|json]",
		"Prints the organization's privacy policy as a draft rendered from its current\n"+
			"inventory. Links use PRIVAQ_BASE_URL when it is set.", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	slug := fs.String("org", "", "organization slug")
	lang := fs.String("lang", "fr", "fr or en")
	format := fs.String("format", "html", "html (an <article> fragment), md (Markdown) or json")
	if _, err := fs.parseExact(args, 0, "org"); err != nil {
		return err
	}
	if !slices.Contains(inventory.Languages, *lang) {
		return usagef("--lang must be fr or en, not %q", *lang)
	}
	if !slices.Contains(policyFormats, *format) {
		return usagef("--format must be html, md or json, not %q", *format)
	}
	o, doc, err := loadInventory(ctx, &cfg, *slug)
	if err != nil {
		return err
	}
	p, err := policy.Render(doc, *lang, policy.Options{Org: o.Slug, BaseURL: cfg.BaseURL})
	if err != nil {
		return err
	}
	// Render into a buffer: a failure must not leave half a policy on
	// stdout.
	var buf bytes.Buffer
	switch *format {
	case "md":
		err = p.Markdown(&buf)
	case "json":
		err = p.JSON(&buf)
	default:
		err = p.HTML(&buf)
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}
