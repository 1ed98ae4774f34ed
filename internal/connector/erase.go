package connector

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"privaq"
)

// The actions of a plan or result.
const (
	ActionRectify = "rectify"
	ActionSkip    = "skip"
)

// Outcome is what a run does, or would do, to one table.
type Outcome struct {
	Table  string `json:"table"`
	Action string `json:"action"` // an Erasure, rectify or skip
	Rows   int64  `json:"rows"`
	Reason string `json:"reason,omitempty"`
	// Columns and Sample show staff a few of the rows a dry run would
	// change; a result has none.
	Columns []string `json:"columns,omitempty"`
	Sample  [][]any  `json:"sample,omitempty"`
}

// Result is a run's outcome, table by table, children before parents.
type Result struct {
	Tables []Outcome `json:"tables"`
}

// Correction is a staff-entered correction of one column. An empty value
// empties the column (NULL).
type Correction struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Value  string `json:"value"`
}

// PlanErase is the dry run of an erasure: it carries the erasure out in a
// transaction that it then rolls back, so that the counts are exact and a
// constraint that would refuse it is found now, with a sample of each
// table's rows taken before the change.
func PlanErase(ctx context.Context, c *Conn, tables []Table, ids Identifiers, sample int) (Result, error) {
	return erase(ctx, c, tables, ids, nil, sample, true)
}

// Erase carries out the erasure in one transaction: delete, anonymize or
// keep each table's rows about the person, children first. Any failure
// rolls back every table of this database.
func Erase(ctx context.Context, c *Conn, tables []Table, ids Identifiers, hashKey []byte) (Result, error) {
	return erase(ctx, c, tables, ids, hashKey, 0, false)
}

func erase(ctx context.Context, c *Conn, tables []Table, ids Identifiers, hashKey []byte, sample int, dry bool) (Result, error) {
	p, err := newPlan(c, tables, ids)
	if err != nil {
		return Result{}, err
	}
	// The schema may have changed since the mapping was checked.
	var v privaq.ValidationErrors
	for i, t := range tables {
		if err := c.safeToChange(ctx, i, t, tables, &v); err != nil {
			return Result{}, c.d.refusal(err, t.Name)
		}
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	if dry {
		// The dry run's hashes are thrown away with its transaction.
		hashKey = []byte("dry run")
	}
	return inTx(ctx, c, dry, func(tx *sql.Tx) (Result, error) {
		res := Result{Tables: []Outcome{}}
		for _, t := range p.deepestFirst() {
			o := Outcome{Table: t.Name, Action: string(t.Erasure), Reason: t.Reason}
			if why := p.missingIdentifier(t); why != "" {
				o.Action, o.Reason = ActionSkip, why
				res.Tables = append(res.Tables, o)
				continue
			}
			if sample > 0 && t.Erasure != ErasureKeep {
				a := &args{d: c.d}
				tr, err := selectRows(ctx, tx, "SELECT * FROM "+c.d.table(t.Name)+" WHERE "+p.where(t, a), a.vals, sample)
				if err != nil {
					return res, c.d.refusal(err, t.Name)
				}
				o.Columns, o.Sample = tr.Columns, tr.Rows
			}
			var err error
			switch t.Erasure {
			case ErasureKeep:
				o.Rows, err = p.count(ctx, tx, t)
			case ErasureDelete:
				a := &args{d: c.d}
				o.Rows, err = exec(ctx, tx, "DELETE FROM "+c.d.table(t.Name)+" WHERE "+p.where(t, a), a.vals)
			case ErasureAnonymize:
				o.Rows, err = p.anonymize(ctx, tx, t, hashKey)
			}
			if err != nil {
				return res, c.d.refusal(err, t.Name)
			}
			res.Tables = append(res.Tables, o)
		}
		return res, nil
	})
}

// inTx runs fn in a transaction, committed unless dry or failed.
func inTx(ctx context.Context, c *Conn, dry bool, fn func(*sql.Tx) (Result, error)) (Result, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, c.d.refusal(err, "")
	}
	res, err := fn(tx)
	if err != nil || dry {
		tx.Rollback()
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, c.d.refusal(err, "")
	}
	return res, nil
}

func exec(ctx context.Context, tx *sql.Tx, q string, vals []any) (int64, error) {
	r, err := tx.ExecContext(ctx, q, vals...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (p *plan) count(ctx context.Context, q querier, t Table) (int64, error) {
	a := &args{d: p.d}
	var n int64
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+p.d.table(t.Name)+" WHERE "+p.where(t, a), a.vals...).Scan(&n)
	return n, err
}

// anonymize rewrites the table's rows about the person. Null and fixed
// rules are one UPDATE; hash and year depend on each value, so the rows
// are read with their key and rewritten one by one.
func (p *plan) anonymize(ctx context.Context, tx *sql.Tx, t Table, hashKey []byte) (int64, error) {
	perRow := false
	for _, r := range t.Columns {
		perRow = perRow || r.Rule == RuleHash || r.Rule == RuleYear
	}
	if !perRow {
		a := &args{d: p.d}
		var set []string
		for _, r := range t.Columns {
			if r.Rule == RuleNull {
				set = append(set, p.d.ident(r.Column)+" = NULL")
			} else {
				set = append(set, p.d.ident(r.Column)+" = "+a.add(r.Value))
			}
		}
		q := "UPDATE " + p.d.table(t.Name) + " SET " + strings.Join(set, ", ")
		return exec(ctx, tx, q+" WHERE "+p.where(t, a), a.vals)
	}
	key, err := p.d.primaryKey(ctx, tx, t.Name)
	if err != nil {
		return 0, err
	}
	if len(key) == 0 {
		return 0, &privaq.Error{Code: privaq.EConflict, Rule: "no_primary_key", Message: "table " + t.Name + " has no primary key, which the hash and year rules need",
			FR: "La table " + t.Name + " n’a pas de clé primaire, que les règles hash et year exigent."}
	}
	var cols []string
	for _, k := range key {
		cols = append(cols, p.d.ident(k))
	}
	for _, r := range t.Columns {
		cols = append(cols, p.d.ident(r.Column))
	}
	a := &args{d: p.d}
	tr, err := selectRows(ctx, tx, "SELECT "+strings.Join(cols, ", ")+" FROM "+p.d.table(t.Name)+" WHERE "+p.where(t, a), a.vals, MaxRows+1)
	if err != nil {
		return 0, err
	}
	if len(tr.Rows) > MaxRows {
		return 0, tooMany(t.Name)
	}
	all := tr.Rows
	var n int64
	for _, row := range all {
		a := &args{d: p.d}
		var set, where []string
		for i, r := range t.Columns {
			v, err := anonymized(r, row[len(key)+i], hashKey)
			if err != nil {
				return n, &privaq.Error{Code: privaq.EConflict, Rule: "year", Message: fmt.Sprintf("column %s of table %s: %s", r.Column, t.Name, err),
					FR: fmt.Sprintf("Colonne %s de la table %s : la valeur n’est pas une date.", r.Column, t.Name)}
			}
			set = append(set, p.d.ident(r.Column)+" = "+a.add(v))
		}
		for i, k := range key {
			where = append(where, p.d.ident(k)+" = "+a.add(row[i]))
		}
		m, err := exec(ctx, tx, "UPDATE "+p.d.table(t.Name)+" SET "+strings.Join(set, ", ")+" WHERE "+strings.Join(where, " AND "), a.vals)
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// anonymized is a column's new value.
func anonymized(r ColumnRule, v any, hashKey []byte) (any, error) {
	switch r.Rule {
	case RuleNull:
		return nil, nil
	case RuleFixed:
		return r.Value, nil
	}
	if v == nil {
		return nil, nil
	}
	if r.Rule == RuleHash {
		m := hmac.New(sha256.New, hashKey)
		m.Write([]byte(text(v)))
		return "anon-" + hex.EncodeToString(m.Sum(nil))[:20], nil
	}
	return yearOf(v)
}

func text(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// yearOf generalizes a date to the first day of its year, in the value's
// own form: a time stays a time, a text date stays a text date.
func yearOf(v any) (any, error) {
	if t, ok := v.(time.Time); ok {
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, t.Location()), nil
	}
	s := text(v)
	if len(s) < 4 {
		return nil, fmt.Errorf("the value is not a date")
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || (len(s) > 4 && s[4] != '-') {
		return nil, fmt.Errorf("the value is not a date")
	}
	switch {
	case len(s) == 4:
		return s, nil
	case len(s) <= 10:
		return fmt.Sprintf("%04d-01-01", y), nil
	}
	return fmt.Sprintf("%04d-01-01 00:00:00", y), nil
}

// Rectify applies staff-entered corrections in one transaction: each
// table's corrections are one UPDATE of its rows about the person,
// children first, so that correcting the identifying column of a parent
// comes after its children were found through it. With dryRun, the
// transaction is rolled back: counts and refusals, nothing changed.
func Rectify(ctx context.Context, c *Conn, tables []Table, ids Identifiers, cors []Correction, dryRun bool) (Result, error) {
	p, err := newPlan(c, tables, ids)
	if err != nil {
		return Result{}, err
	}
	var v privaq.ValidationErrors
	byTable := map[string][]Correction{}
	for i, x := range cors {
		f := "corrections[" + strconv.Itoa(i) + "]"
		if _, ok := p.byName[x.Table]; !ok {
			v = append(v, fieldError(f+".table", "the table "+strconv.Quote(x.Table)+" is not mapped", "La table « "+x.Table+" » n’est pas associée."))
			continue
		}
		if !nameRE.MatchString(x.Column) {
			v = append(v, fieldError(f+".column", "the column name is a plain SQL name", "Le nom de colonne est un nom SQL simple."))
			continue
		}
		byTable[x.Table] = append(byTable[x.Table], x)
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	for name, list := range byTable {
		cols, err := c.d.columns(ctx, c.db, name)
		if err != nil {
			return Result{}, c.d.refusal(err, name)
		}
		have := map[string]bool{}
		for _, col := range cols {
			have[col.name] = true
		}
		for _, x := range list {
			if !have[x.Column] {
				v = append(v, fieldError("corrections", "there is no column "+strconv.Quote(x.Column)+" in table "+strconv.Quote(name),
					"Il n’y a pas de colonne « "+x.Column+" » dans la table « "+name+" »."))
			}
		}
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	return inTx(ctx, c, dryRun, func(tx *sql.Tx) (Result, error) {
		res := Result{Tables: []Outcome{}}
		for _, t := range p.deepestFirst() {
			list := byTable[t.Name]
			if len(list) == 0 {
				continue
			}
			if why := p.missingIdentifier(t); why != "" {
				res.Tables = append(res.Tables, Outcome{Table: t.Name, Action: ActionSkip, Reason: why})
				continue
			}
			a := &args{d: c.d}
			var set []string
			for _, x := range list {
				if x.Value == "" {
					set = append(set, c.d.ident(x.Column)+" = NULL")
				} else {
					set = append(set, c.d.ident(x.Column)+" = "+a.add(x.Value))
				}
			}
			n, err := exec(ctx, tx, "UPDATE "+c.d.table(t.Name)+" SET "+strings.Join(set, ", ")+" WHERE "+p.where(t, a), a.vals)
			if err != nil {
				return res, c.d.refusal(err, t.Name)
			}
			res.Tables = append(res.Tables, Outcome{Table: t.Name, Action: ActionRectify, Rows: n})
		}
		return res, nil
	})
}
