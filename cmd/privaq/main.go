// Command privaq runs the privaq server and its operator commands (SPEC §2).
//
// Every command lives in a file of its own with its own flag set; this file
// dispatches, loads the configuration, opens the database and turns errors
// into one line on stderr and an exit code: 0 success, 1 failure, 2 usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"privaq"
	"privaq/internal/config"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; when
// empty, the module version recorded by the Go toolchain is used.
var version string

func main() {
	// The first SIGINT or SIGTERM cancels ctx: serve shuts down gracefully,
	// other commands stop at their next database call.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process at once
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes (SPEC §2).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// command is one leaf of the command tree.
type command struct {
	name    string // as typed, e.g. "org create"
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands lists every command in the order of the usage text.
var commands = []command{
	{"serve", "run the web server: admin pages and JSON API", ignoreStdin(runServe)},
	{"org create", "create an organization", ignoreStdin(runOrgCreate)},
	{"user add", "add a staff member to an organization", runUserAdd},
	{"token create", "create an API token", ignoreStdin(runTokenCreate)},
	{"inventory import", "replace an organization's inventory with a YAML or JSON file", runInventoryImport},
	{"inventory export", "print an organization's inventory", ignoreStdin(runInventoryExport)},
	{"policy render", "print the draft privacy policy rendered from the inventory", ignoreStdin(runPolicyRender)},
	{"ledger verify", "recheck an organization's consent ledger", ignoreStdin(runLedgerVerify)},
	{"ledger check-receipt", "check a consent receipt offline with the organization's public key", runLedgerCheckReceipt},
	{"migrate", "apply pending database migrations", ignoreStdin(runMigrate)},
	{"version", "print the version", ignoreStdin(runVersion)},
}

func ignoreStdin(f func(ctx context.Context, args []string, stdout, stderr io.Writer) error) func(context.Context, []string, io.Reader, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
		return f(ctx, args, stdout, stderr)
	}
}

// run is main without the process: tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		args = []string{"version"}
	}
	cmd, rest, err := lookup(args)
	if err != nil {
		fmt.Fprintln(stderr, "privaq: "+oneLine(err.Error()))
		return exitUsage
	}
	err = cmd.run(ctx, rest, stdin, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, new(*usageError)):
		fmt.Fprintf(stderr, "privaq: %s: %s (see privaq %s -h)\n", cmd.name, oneLine(err.Error()), cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "privaq: %s: %s\n", cmd.name, describe(err))
		return exitFailure
	}
}

// lookup finds the command named by the first one or two words of args.
func lookup(args []string) (command, []string, error) {
	group := false
	for _, c := range commands {
		words := strings.Fields(c.name)
		if words[0] != args[0] {
			continue
		}
		group = true
		if len(words) == 1 {
			return c, args[1:], nil
		}
		if len(args) > 1 && args[1] == words[1] {
			return c, args[2:], nil
		}
	}
	if group {
		var subs []string
		for _, c := range commands {
			if w := strings.Fields(c.name); w[0] == args[0] && len(w) > 1 {
				subs = append(subs, w[1])
			}
		}
		what := "missing subcommand"
		if len(args) > 1 {
			what = fmt.Sprintf("unknown subcommand %q", args[1])
		}
		return command{}, nil, fmt.Errorf("%s: %s; want %s (see privaq -h)", args[0], what, strings.Join(subs, " or "))
	}
	return command{}, nil, fmt.Errorf("unknown command %q (see privaq -h)", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `privaq helps an organization comply with Quebec's Law 25 (Act respecting the
protection of personal information) and show that it does.

Usage:
  privaq <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-18s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command that opens the database takes --data and --database-url.
Run "privaq <command> -h" for its flags.

Environment:
  PRIVAQ_ADDR, PRIVAQ_DATA, PRIVAQ_DATABASE_URL, PRIVAQ_BASE_URL  defaults for the flags
  PRIVAQ_SMTP_URL    smtp://user:pass@host:port or smtps://…; without it mail stays in the outbox
  PRIVAQ_MASTER_KEY  base64 master key (32 bytes); without it DATA/keys/master.key is used
  PRIVAQ_LOG_FORMAT  text (default) or json

Exit status: 0 success, 1 failure, 2 usage error.
`)
}

// describe turns an error into the text after "privaq: <command>: ". A coded
// error shows its message, prefixed with the field it is about; a list of
// validation errors shows the first one and how many more there are.
func describe(err error) string {
	var pe *privaq.Error
	if !errors.As(err, &pe) {
		return oneLine(err.Error())
	}
	s := pe.Message
	if pe.Field != "" {
		s = pe.Field + ": " + s
	}
	// An internal error's message is generic; the operator running the
	// command is the one who needs the cause.
	if pe.Code == privaq.EInternal && pe.Err != nil {
		s += ": " + pe.Err.Error()
	}
	var many privaq.ValidationErrors
	if errors.As(err, &many) && len(many) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(many)-1)
	}
	return oneLine(s)
}

// oneLine keeps an error on one line of stderr, whatever a driver put in it.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// openStore opens (and migrates) the database the configuration names.
func openStore(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	master, err := cfg.Master()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DatabaseURL, cfg.Data, master)
}

// openOrg opens the database and finds the organization a command names;
// the caller closes the database.
func openOrg(ctx context.Context, cfg *config.Config, slug string) (*store.DB, org.Org, error) {
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, org.Org{}, err
	}
	o, err := findOrg(ctx, db, slug)
	if err != nil {
		db.Close()
		return nil, o, err
	}
	return db, o, nil
}

// loadInventory reads the inventory of the organization a command names.
func loadInventory(ctx context.Context, cfg *config.Config, slug string) (org.Org, *inventory.Document, error) {
	db, o, err := openOrg(ctx, cfg, slug)
	if err != nil {
		return o, nil, err
	}
	defer db.Close()
	doc, _, err := (&inventory.Service{Store: db}).Document(ctx, privaq.System(o.ID), o.ID)
	return o, doc, err
}

// findOrg resolves an organization slug given on the command line.
func findOrg(ctx context.Context, db *store.DB, slug string) (org.Org, error) {
	o, err := db.OrgBySlug(ctx, slug)
	if privaq.IsCode(err, privaq.ENotFound) {
		return o, &privaq.Error{Code: privaq.ENotFound, Field: "org", Message: fmt.Sprintf("no organization with slug %q", slug)}
	}
	return o, err
}

// buildVersion is the version printed by "privaq version" and served in
// metrics.
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
