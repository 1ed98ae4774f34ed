package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"privaq"
	"privaq/internal/config"
	"privaq/internal/org"
	"privaq/internal/store"
)

// runUserAdd gives a person a role in an organization, creating their
// account if the email has none, and prints the generated password of a new
// account when none was given on stdin.
func runUserAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("user add", "user add --org SLUG --email EMAIL --role officer|staff|auditor [--name NAME] [--password-stdin] [--admin]",
		"Adds a staff member to an organization. A new account gets a generated\npassword, printed alone on stdout, unless --password-stdin reads one.\nAn existing account keeps its password and only gets the role.", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	slug := fs.String("org", "", "organization slug")
	email := fs.String("email", "", "sign-in email")
	role := fs.String("role", "", "officer, staff or auditor")
	name := fs.String("name", "", "display name (default: the part of the email before @)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	admin := fs.Bool("admin", false, "make the new account an instance administrator (may create organizations)")
	if _, err := fs.parseExact(args, 0, "org", "email", "role"); err != nil {
		return err
	}
	r, err := privaq.ParseRole(*role)
	if err != nil || r == privaq.RoleIntegration {
		return usagef("--role must be officer, staff or auditor, not %q", *role)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	password := ""
	if *pwStdin {
		if password, err = readPassword(stdin); err != nil {
			return err
		}
	}
	db, o, err := openOrg(ctx, &cfg, *slug)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &org.Service{Store: db, Clock: privaq.SystemClock{}}
	_, err = db.UserByEmail(ctx, *email)
	existed := err == nil
	if err != nil && !privaq.IsCode(err, privaq.ENotFound) {
		return err
	}
	generated := ""
	if *admin {
		if generated, err = createAdmin(ctx, svc, db, *email, *name, password); err != nil {
			return err
		}
	}
	u, gen, err := svc.AddUser(ctx, privaq.System(o.ID), o.ID, *email, *name, r, password)
	if err != nil {
		return err
	}
	if gen != "" {
		generated = gen
	}
	if generated != "" {
		fmt.Fprintln(stdout, generated)
	}
	if existed {
		// Not an error, but the operator must know that a password they
		// gave was not used.
		fmt.Fprintf(stderr, "privaq: user add: account %d already existed: its role in %s is now %s and its password is unchanged\n", u.ID, o.Slug, r)
	}
	return nil
}

// createAdmin creates an instance administrator's account before AddUser
// gives it its role; it returns the generated password, if any. The org
// service can create administrators but not promote an existing account, so
// an existing email is refused rather than silently left unpromoted.
func createAdmin(ctx context.Context, svc *org.Service, db *store.DB, email, name, password string) (string, error) {
	// The same check as AddUser's, made first: the account must not be
	// created when AddUser would then refuse the address.
	if a, err := mail.ParseAddress(email); err != nil || a.Name != "" || len(email) > 254 {
		return "", privaq.FieldError("email", "%q is not a valid email address", email)
	}
	u, err := db.UserByEmail(ctx, email)
	switch {
	case err == nil && u.Admin:
		return "", nil
	case err == nil:
		return "", &privaq.Error{Code: privaq.EConflict, Field: "email", Message: "this account already exists; privaq cannot yet promote an existing account to administrator"}
	case !privaq.IsCode(err, privaq.ENotFound):
		return "", err
	}
	generated := ""
	if password == "" {
		password = org.GeneratePassword()
		generated = password
	}
	hash, err := org.HashPassword(password)
	if err != nil {
		return "", err
	}
	email = org.NormalizeEmail(email)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	nu := org.User{Email: email, Name: name, PasswordHash: hash, CreatedAt: svc.Clock.Now()}
	return generated, svc.MakeAdmin(ctx, &nu)
}

// readPassword reads one line, so that "echo secret | privaq user add …"
// and a here-document both work; the line ending is not part of it.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", &privaq.Error{Code: privaq.EValidation, Field: "password", Message: "--password-stdin: standard input holds no password"}
	}
	return line, nil
}
