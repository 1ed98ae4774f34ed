package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError is a mistake in the command line itself: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errHelp means -h was asked for and the usage printed: exit status 0.
var errHelp = errors.New("help requested")

// cmdFlags is a command's flag set with the text of its usage.
type cmdFlags struct {
	*flag.FlagSet
	synopsis string // after "privaq ", e.g. "org create --slug SLUG --name NAME"
	about    string
	stdout   io.Writer
}

// newFlags makes a command's flag set. The flag package's own messages are
// discarded: a bad flag becomes one line on stderr, written by run, and -h
// prints the usage on stdout.
func newFlags(name, synopsis, about string, stdout, stderr io.Writer) *cmdFlags {
	fs := flag.NewFlagSet("privaq "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, synopsis: synopsis, about: about, stdout: stdout}
}

func (f *cmdFlags) printUsage() {
	w := f.stdout
	fmt.Fprintf(w, "Usage: privaq %s\n\n%s\n", f.synopsis, f.about)
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		f.SetOutput(w)
		f.PrintDefaults()
	}
}

// parse parses args, allowing flags after the positional arguments
// ("import file.yaml --org x" as well as "import --org x file.yaml"), and
// returns the positional arguments.
func (f *cmdFlags) parse(args []string) ([]string, error) {
	out := f.Output()
	f.SetOutput(io.Discard)
	defer f.SetOutput(out)
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				f.printUsage()
				return nil, errHelp
			}
			return nil, &usageError{err.Error()}
		}
		rest := f.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// After "--" everything is positional.
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseExact parses args and checks the number of positional arguments and
// that the required flags are set.
func (f *cmdFlags) parseExact(args []string, npos int, required ...string) ([]string, error) {
	pos, err := f.parse(args)
	if err != nil {
		return nil, err
	}
	if len(pos) > npos {
		return nil, usagef("unexpected argument %q", pos[npos])
	}
	if len(pos) < npos {
		return nil, usagef("missing argument")
	}
	var missing []string
	for _, name := range required {
		if f.Lookup(name).Value.String() == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return nil, usagef("missing %s", strings.Join(missing, ", "))
	}
	return pos, nil
}
