package main

import (
	"context"
	"fmt"
	"io"
)

// runVersion prints "privaq <version>".
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version", "Prints the version of this binary.", stdout, stderr)
	if _, err := fs.parseExact(args, 0); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "privaq", buildVersion())
	return nil
}
