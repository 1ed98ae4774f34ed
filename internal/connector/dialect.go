package connector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"

	"privaq"
)

// This file is the only place where the engines differ: quoting,
// placeholders, the catalog queries that read a schema, and the reading of
// driver errors.

type column struct {
	name, typ string
}

type dialect struct {
	kind    Kind
	driver  string
	version string
	quote   byte
	// dollar placeholders ($1) rather than ?.
	dollar bool
	// schema qualifies table names (PostgreSQL schema, MySQL database).
	schema bool
	// dsn checks a DSN and returns the one privaq opens.
	dsn func(string) (string, *privaq.Error)
	// open opens the checked DSN; nil for sql.Open with driver.
	open func(dsn string) (*sql.DB, error)
	// classify reads a driver error.
	classify func(error) (class refusalClass, constraint string)
	// auth reports whether a connection error is the server refusing the
	// credentials or the database.
	auth func(error) *privaq.Error
	// Catalog queries: each takes (schema or nil, table) first.
	columnsSQL, indexSQL, primarySQL string
	// cascadeSQL lists the tables whose rows a DELETE on the table also
	// deletes or changes (ON DELETE CASCADE, SET NULL, SET DEFAULT).
	cascadeSQL string
	// engineSQL, where tables have storage engines, names the table's:
	// only a transactional one can be rolled back after a dry run.
	engineSQL string
	// rowID is the implicit row key of a table without a primary key.
	rowID string
	// readTx reads a consistent readSnapshot for an access archive.
	readTx *sql.TxOptions
}

var readSnapshot = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}

var dialects = map[Kind]*dialect{
	KindPostgres: {
		kind: KindPostgres, driver: "pgx", version: `SELECT version()`, quote: '"', dollar: true, schema: true, readTx: readSnapshot,
		dsn: postgresDSN,
		open: func(dsn string) (*sql.DB, error) {
			cfg, err := pgx.ParseConfig(dsn)
			if err != nil {
				return nil, err
			}
			// pgx fills a missing password from privaq's own environment
			// (PGPASSWORD, ~/.pgpass): a connector gets only its own.
			u, _ := url.Parse(dsn)
			cfg.Password, _ = u.User.Password()
			return stdlib.OpenDB(*cfg), nil
		},
		classify: func(err error) (refusalClass, string) {
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				return refusalNone, ""
			}
			switch {
			case pe.Code == "23503":
				return refusalForeignKey, pe.ConstraintName
			case pe.Code == "23505":
				return refusalUnique, pe.ConstraintName
			case pe.Code == "23502":
				return refusalNotNull, pe.ColumnName
			case strings.HasPrefix(pe.Code, "22"):
				return refusalValue, ""
			case pe.Code == "42501":
				return refusalDenied, ""
			case pe.Code == "42P01" || pe.Code == "42703" || pe.Code == "3F000":
				return refusalMissing, ""
			}
			return refusalOther, "SQLSTATE " + pe.Code
		},
		auth: func(err error) *privaq.Error {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				switch pe.Code {
				case "28P01", "28000":
					return unreachable("the database server refused the user name or password", "Le serveur a refusé le nom d’utilisateur ou le mot de passe.", err)
				case "3D000":
					return unreachable("the database named in the DSN does not exist", "La base de données nommée dans le DSN n’existe pas.", err)
				}
			}
			return nil
		},
		columnsSQL: `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = COALESCE($1::text, current_schema()) AND table_name = $2 ORDER BY ordinal_position`,
		indexSQL: `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = COALESCE($1::text, current_schema()) AND c.relname = $2 AND a.attname = $3)`,
		primarySQL: `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = COALESCE($1::text, current_schema()) AND c.relname = $2 AND i.indisprimary ORDER BY a.attnum`,
		cascadeSQL: `SELECT DISTINCT ch.relname FROM pg_constraint k JOIN pg_class t ON t.oid = k.confrelid JOIN pg_namespace n ON n.oid = t.relnamespace
			JOIN pg_class ch ON ch.oid = k.conrelid
			WHERE k.contype = 'f' AND k.confdeltype IN ('c', 'n', 'd') AND n.nspname = COALESCE($1::text, current_schema()) AND t.relname = $2`,
	},
	KindMySQL: {
		kind: KindMySQL, driver: "mysql", version: `SELECT VERSION()`, quote: '`', schema: true, readTx: readSnapshot,
		dsn: func(s string) (string, *privaq.Error) {
			cfg, err := mysql.ParseDSN(s)
			if err != nil || strings.HasPrefix(s, "mysql://") {
				return "", fieldError("dsn", "the MySQL DSN is not valid: use user:password@tcp(host:3306)/database",
					"Le DSN MySQL n’est pas valide : utilisez utilisateur:motdepasse@tcp(hôte:3306)/base.")
			}
			if cfg.DBName == "" {
				return "", fieldError("dsn", "the MySQL DSN must name the database: user:password@tcp(host:3306)/database",
					"Le DSN MySQL doit nommer la base : utilisateur:motdepasse@tcp(hôte:3306)/base.")
			}
			// The server must never read privaq's files (LOAD DATA LOCAL),
			// nor run several statements from one string.
			cfg.AllowAllFiles, cfg.MultiStatements = false, false
			// Count the rows an UPDATE matched, as the other engines do,
			// not only those whose value changed.
			cfg.ClientFoundRows = true
			if cfg.Timeout == 0 {
				cfg.Timeout = connectTimeout
			}
			cfg.Params = withoutKey(cfg.Params, "allowAllFiles")
			return cfg.FormatDSN(), nil
		},
		classify: func(err error) (refusalClass, string) {
			var me *mysql.MySQLError
			if !errors.As(err, &me) {
				return refusalNone, ""
			}
			switch me.Number {
			case 1451, 1452:
				return refusalForeignKey, ""
			case 1062:
				return refusalUnique, ""
			case 1048:
				return refusalNotNull, ""
			case 1406, 1366, 1292, 1264:
				return refusalValue, ""
			case 1142, 1143, 1044:
				return refusalDenied, ""
			case 1146, 1054:
				return refusalMissing, ""
			}
			return refusalOther, "error " + strconv.Itoa(int(me.Number))
		},
		auth: func(err error) *privaq.Error {
			var me *mysql.MySQLError
			if errors.As(err, &me) {
				switch me.Number {
				case 1045, 1044, 1698:
					return unreachable("the database server refused the user name or password", "Le serveur a refusé le nom d’utilisateur ou le mot de passe.", err)
				case 1049:
					return unreachable("the database named in the DSN does not exist", "La base de données nommée dans le DSN n’existe pas.", err)
				}
			}
			return nil
		},
		columnsSQL: `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position`,
		indexSQL: `SELECT EXISTS (SELECT 1 FROM information_schema.statistics
			WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND column_name = ? AND seq_in_index = 1)`,
		primarySQL: `SELECT column_name FROM information_schema.statistics
			WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND index_name = 'PRIMARY' ORDER BY seq_in_index`,
		cascadeSQL: `SELECT DISTINCT table_name FROM information_schema.referential_constraints
			WHERE constraint_schema = COALESCE(?, DATABASE()) AND referenced_table_name = ? AND delete_rule IN ('CASCADE', 'SET NULL', 'SET DEFAULT')`,
		engineSQL: `SELECT COALESCE(engine, '') FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?`,
	},
	KindSQLite: {
		kind: KindSQLite, driver: "sqlite", version: `SELECT sqlite_version()`, quote: '"', rowID: "rowid",
		dsn: func(s string) (string, *privaq.Error) {
			p := sqlitePath(s)
			if p == "" || strings.ContainsAny(p, "\x00") {
				return "", fieldError("dsn", "the SQLite DSN is the path of the database file", "Le DSN SQLite est le chemin du fichier de la base.")
			}
			// mode=rw: never create a file where the officer mistyped one.
			return "file:" + p + "?mode=rw&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_txlock=immediate", nil
		},
		classify: func(err error) (refusalClass, string) {
			var se *sqlite.Error
			if !errors.As(err, &se) {
				return refusalNone, ""
			}
			switch se.Code() {
			case 787:
				return refusalForeignKey, ""
			case 2067, 1555:
				return refusalUnique, ""
			case 1299:
				return refusalNotNull, ""
			case 275:
				return refusalValue, ""
			case 8, 23:
				return refusalDenied, ""
			}
			return refusalOther, "code " + strconv.Itoa(se.Code())
		},
		auth: func(err error) *privaq.Error {
			var se *sqlite.Error
			if errors.As(err, &se) && se.Code() == 26 { // SQLITE_NOTADB
				return unreachable("this file is not a SQLite database", "Ce fichier n’est pas une base de données SQLite.", err)
			}
			return nil
		},
		// SQLite names are never qualified: the catalog queries take the
		// table first.
		columnsSQL: `SELECT name, type FROM pragma_table_info($1) ORDER BY cid`,
		indexSQL: `SELECT EXISTS (SELECT 1 FROM pragma_index_list($1) l, pragma_index_info(l.name) i WHERE i.seqno = 0 AND i.name = $2)
			OR EXISTS (SELECT 1 FROM pragma_table_info($1) WHERE name = $2 AND pk = 1 AND upper(type) = 'INTEGER'
				AND (SELECT count(*) FROM pragma_table_info($1) WHERE pk > 0) = 1)`,
		primarySQL: `SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk`,
		cascadeSQL: `SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
			WHERE m.type = 'table' AND f."table" = $1 AND f.on_delete IN ('CASCADE', 'SET NULL', 'SET DEFAULT')`,
	},
}

// postgresParams are the DSN parameters a connector may set. Others are
// refused: passfile, sslkey, sslrootcert or service would make privaq
// read files of its own server, host or dbname would bypass the checks
// on the URL.
var postgresParams = map[string]bool{"sslmode": true, "search_path": true, "connect_timeout": true, "application_name": true}

// postgresDSN accepts a postgres:// URL naming one host, a user and a
// database.
func postgresDSN(s string) (string, *privaq.Error) {
	bad := fieldError("dsn", "the PostgreSQL DSN is not valid: use postgres://user:password@host:5432/database",
		"Le DSN PostgreSQL n’est pas valide : utilisez postgres://utilisateur:motdepasse@hôte:5432/base.")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Hostname() == "" || strings.Contains(u.Host, ",") ||
		u.User == nil || u.User.Username() == "" || strings.Trim(u.Path, "/") == "" || strings.Contains(strings.Trim(u.Path, "/"), "/") {
		return "", bad
	}
	for k := range u.Query() {
		if !postgresParams[k] {
			return "", fieldError("dsn", "the DSN parameter "+strconv.Quote(k)+" is not allowed; use sslmode, search_path, connect_timeout or application_name",
				"Le paramètre de DSN « "+k+" » n’est pas permis ; utilisez sslmode, search_path, connect_timeout ou application_name.")
		}
	}
	if _, err := pgx.ParseConfig(s); err != nil {
		return "", bad
	}
	return s, nil
}

// SamePostgres reports whether two postgres:// URLs name the same
// database on the same server, loopback names counting as one host.
func SamePostgres(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	host := func(u *url.URL) string {
		h := strings.ToLower(u.Hostname())
		if ip := net.ParseIP(h); (ip != nil && ip.IsLoopback()) || h == "localhost" || h == "" || strings.HasPrefix(h, "/") {
			return "loopback"
		}
		return h
	}
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		return "5432"
	}
	db := func(u *url.URL) string {
		if d := strings.Trim(u.Path, "/"); d != "" {
			return d
		}
		return u.User.Username()
	}
	return host(ua) == host(ub) && port(ua) == port(ub) && db(ua) == db(ub)
}

func withoutKey(m map[string]string, k string) map[string]string {
	delete(m, k)
	return m
}

// connectError explains why a connection failed.
func (d *dialect) connectError(err error) error {
	if e := d.auth(err); e != nil {
		return e
	}
	if e := networkError(err); e != nil {
		return e
	}
	return unreachable("the connection to the database failed; check the DSN", "La connexion à la base de données a échoué : vérifiez le DSN.", err)
}

// ident quotes an identifier already checked by nameRE.
func (d *dialect) ident(name string) string {
	q := string(d.quote)
	return q + name + q
}

// table quotes a table name, qualified or not.
func (d *dialect) table(name string) string {
	schema, t := splitName(name)
	if schema == "" {
		return d.ident(t)
	}
	return d.ident(schema) + "." + d.ident(t)
}

func splitName(name string) (schema, table string) {
	if s, t, ok := strings.Cut(name, "."); ok {
		return s, t
	}
	return "", name
}

// args numbers placeholders as the dialect wants them.
type args struct {
	d    *dialect
	vals []any
}

func (a *args) add(v any) string {
	a.vals = append(a.vals, v)
	if a.d.dollar {
		return "$" + strconv.Itoa(len(a.vals))
	}
	return "?"
}

// catalog runs a catalog query whose first parameters are the schema
// (NULL when the name is not qualified, absent where names never are) and
// the table.
func (d *dialect) catalog(ctx context.Context, q querier, query, name string, more ...any) (*sql.Rows, error) {
	schema, t := splitName(name)
	params := []any{t}
	if d.schema {
		var s any
		if schema != "" {
			s = schema
		}
		params = []any{s, t}
	}
	return q.QueryContext(ctx, query, append(params, more...)...)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (d *dialect) columns(ctx context.Context, q querier, name string) ([]column, error) {
	rows, err := d.catalog(ctx, q, d.columnsSQL, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		c.typ = strings.ToLower(c.typ)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (d *dialect) indexed(ctx context.Context, q querier, name, col string) (bool, error) {
	rows, err := d.catalog(ctx, q, d.indexSQL, name, col)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var ok bool
	if rows.Next() {
		err = rows.Scan(&ok)
	}
	if err == nil {
		err = rows.Err()
	}
	return ok, err
}

func (d *dialect) primaryKey(ctx context.Context, q querier, name string) ([]string, error) {
	out, err := d.strings(ctx, q, d.primarySQL, name)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 && d.rowID != "" {
		out = []string{d.rowID}
	}
	return out, nil
}

// strings runs a catalog query that answers one text column.
func (d *dialect) strings(ctx context.Context, q querier, query, name string) ([]string, error) {
	if query == "" {
		return nil, nil
	}
	rows, err := d.catalog(ctx, q, query, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// refusalClass is why a database refused a statement.
type refusalClass int

const (
	refusalNone refusalClass = iota
	refusalForeignKey
	refusalUnique
	refusalNotNull
	refusalValue
	refusalDenied
	refusalMissing
	refusalOther
)

// refusal turns a driver error into a message for staff that names the
// table and the kind of refusal but never the values: a driver's detail
// ("Key (email)=(…) already exists") is personal information.
func (d *dialect) refusal(err error, table string) error {
	if err == nil {
		return nil
	}
	class, detail := d.classify(err)
	if class == refusalNone {
		if e := networkError(err); e != nil {
			e.Field = ""
			return e
		}
		return err
	}
	on := ""
	if table != "" {
		on = " on table " + table
	}
	fon := ""
	if table != "" {
		fon = " sur la table " + table
	}
	var en, fr string
	switch class {
	case refusalForeignKey:
		en, fr = "a foreign key refuses the change"+on, "Une clé étrangère refuse la modification"+fon
		if detail != "" {
			en, fr = en+" ("+detail+")", fr+" ("+detail+")"
		}
		en += ": map the table that refers to it, or change its erasure rule"
		fr += " : associez la table qui y fait référence, ou changez sa règle d’effacement."
	case refusalUnique:
		en, fr = "a unique constraint refuses the value"+on, "Une contrainte d’unicité refuse la valeur"+fon
		if detail != "" {
			en, fr = en+" ("+detail+")", fr+" ("+detail+")"
		}
		fr += "."
	case refusalNotNull:
		en, fr = "a column that may not be empty would be emptied"+on, "Une colonne qui ne peut être vide serait vidée"+fon+"."
		if detail != "" {
			en += " (" + detail + ")"
		}
	case refusalValue:
		en, fr = "a value does not fit its column (type or length)"+on, "Une valeur ne convient pas à sa colonne (type ou longueur)"+fon+"."
	case refusalDenied:
		en, fr = "the database user lacks the privilege for this"+on, "L’utilisateur de la base n’a pas le privilège requis"+fon+"."
	case refusalMissing:
		en, fr = "a table or column of the mapping no longer exists"+on+"; test the connector again",
			"Une table ou une colonne de l’association n’existe plus"+fon+" : testez de nouveau le connecteur."
	default:
		en, fr = fmt.Sprintf("the database refused the statement%s (%s)", on, detail),
			fmt.Sprintf("La base de données a refusé l’instruction%s (%s).", fon, detail)
	}
	return &privaq.Error{Code: privaq.EConflict, Rule: "refused", Message: en, FR: fr, Err: scrubbed{err}}
}

// value turns what a driver scanned into a JSON- and CSV-friendly value.
func value(v any) any {
	switch x := v.(type) {
	case []byte:
		if isText(x) {
			return string(x)
		}
		return x // encoding/json writes base64
	case time.Time:
		// A DATE column comes back as midnight UTC: write it as a date.
		if x.Location() == time.UTC && x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}
