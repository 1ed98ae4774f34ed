// Package connector reaches an organization's own databases (SPEC §9) to
// carry out rights requests: it finds every row about a person through the
// officer's mapping, collects them into an access archive, and rectifies,
// anonymizes or deletes them in one transaction per database.
//
// It speaks PostgreSQL, MySQL/MariaDB and SQLite through database/sql; the
// differences between them live in dialect.go only.
package connector

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"privaq"
)

// Kind is a database engine.
type Kind string

// The engines a connector reaches.
const (
	KindPostgres Kind = "postgres"
	KindMySQL    Kind = "mysql"
	KindSQLite   Kind = "sqlite"
)

// Config is a registered database: its key in the organization, its engine
// and its DSN (a secret: it holds the password).
type Config struct {
	Key  string
	Kind Kind
	DSN  string
}

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

// Validate checks the form of a configuration without connecting.
func (c Config) Validate() error {
	var v privaq.ValidationErrors
	if !keyRE.MatchString(c.Key) {
		v = append(v, fieldError("key", "the key is 1 to 40 lowercase letters, digits, - or _, starting with a letter",
			"La clé compte de 1 à 40 lettres minuscules, chiffres, - ou _, et commence par une lettre."))
	}
	d, ok := dialects[c.Kind]
	switch {
	case !ok:
		v = append(v, fieldError("kind", "the kind is postgres, mysql or sqlite", "Le type est postgres, mysql ou sqlite."))
	case c.DSN == "":
		v = append(v, fieldError("dsn", "give the DSN of the database", "Indiquez le DSN de la base de données."))
	default:
		if _, err := d.dsn(c.DSN); err != nil {
			v = append(v, err)
		}
	}
	return v.Err()
}

func fieldError(field, en, fr string) *privaq.Error {
	return &privaq.Error{Code: privaq.EValidation, Field: field, Message: en, FR: fr}
}

// Conn is an open connection pool to one database.
type Conn struct {
	db *sql.DB
	d  *dialect
}

// Close releases the connection.
func (c *Conn) Close() error { return c.db.Close() }

// Version is the server's version string, shown to the officer after a
// successful test.
func (c *Conn) Version(ctx context.Context) (string, error) {
	var v string
	err := c.db.QueryRowContext(ctx, c.d.version).Scan(&v)
	return v, c.d.refusal(err, "")
}

// connectTimeout bounds the first contact: an unreachable host must give
// the officer an answer, not a spinning button.
const connectTimeout = 10 * time.Second

// Open connects to the database and checks that it answers. Its errors
// name what went wrong (host unreachable, authentication refused, no such
// database) without the DSN or the driver's raw text, which may carry the
// password.
func Open(ctx context.Context, cfg Config) (*Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := dialects[cfg.Kind]
	dsn, _ := d.dsn(cfg.DSN)
	if cfg.Kind == KindSQLite {
		path := sqlitePath(cfg.DSN)
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			return nil, &privaq.Error{Code: privaq.EValidation, Field: "dsn", Rule: "unreachable",
				Message: "there is no SQLite database file at this path", FR: "Il n’y a pas de fichier de base SQLite à ce chemin."}
		}
	}
	var db *sql.DB
	var err error
	if d.open != nil {
		db, err = d.open(dsn)
	} else {
		db, err = sql.Open(d.driver, dsn)
	}
	if err != nil {
		return nil, &privaq.Error{Code: privaq.EValidation, Field: "dsn", Message: "the DSN is not valid", FR: "Le DSN n’est pas valide."}
	}
	// A rights request touches a handful of rows: two connections are
	// plenty and keep privaq a polite guest of the organization's server.
	db.SetMaxOpenConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, d.connectError(err)
	}
	if cfg.Kind == KindSQLite {
		// modernc opens anything; reading the schema is what proves the
		// file is a database.
		if _, err := db.ExecContext(pctx, `SELECT count(*) FROM sqlite_master`); err != nil {
			db.Close()
			return nil, d.connectError(err)
		}
	}
	return &Conn{db: db, d: d}, nil
}

// unreachable is a failure to connect in words safe to show: the cause
// stays in Err for errors.Is and errors.As, its text withheld.
func unreachable(en, fr string, err error) *privaq.Error {
	return &privaq.Error{Code: privaq.EValidation, Field: "dsn", Rule: "unreachable", Message: en, FR: fr, Err: scrubbed{err}}
}

// scrubbed hides a driver error's text (which may quote the DSN) while
// keeping it in the chain for errors.Is and errors.As.
type scrubbed struct{ err error }

func (s scrubbed) Error() string { return "driver error withheld" }
func (s scrubbed) Unwrap() error { return s.err }

// networkError classifies a dial failure, common to the network engines.
func networkError(err error) *privaq.Error {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return unreachable("the database server did not answer in time", "Le serveur de base de données n’a pas répondu à temps.", err)
	case errors.As(err, &dns):
		return unreachable("the database host name is unknown", "Le nom d’hôte de la base de données est inconnu.", err)
	case errors.As(err, &op):
		return unreachable("the database server cannot be reached (connection refused or network unreachable)",
			"Le serveur de base de données est injoignable (connexion refusée ou réseau inaccessible).", err)
	}
	return nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(dsn, "file:")
	p, _, _ = strings.Cut(p, "?")
	return p
}
