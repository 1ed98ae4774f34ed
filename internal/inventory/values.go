package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Date is a calendar date written YYYY-MM-DD. It is kept as text so that an
// import and its export are byte-for-byte the same.
type Date string

// Valid reports whether d is empty or a real calendar date.
func (d Date) Valid() bool {
	if d == "" {
		return true
	}
	_, err := time.Parse(time.DateOnly, string(d))
	return err == nil
}

// MarshalYAML writes the date unquoted, as people write it in YAML.
func (d Date) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: string(d)}, nil
}

// Duration is an ISO 8601 duration such as P7Y, P13M, P30D or P1Y6M, or the
// word "session" for cookies that last as long as the browser session.
type Duration string

// Session is the duration of a session cookie.
const Session Duration = "session"

var durationRE = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// Parts splits a duration into years, months, weeks, days, hours, minutes
// and seconds. ok is false for anything that is not an ISO 8601 duration with
// at least one non-empty part.
func (d Duration) Parts() (parts [7]int, ok bool) {
	m := durationRE.FindStringSubmatch(string(d))
	if m == nil || d == "P" || d[len(d)-1] == 'T' {
		return parts, false
	}
	any := false
	for i, s := range m[1:] {
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n > 100000 {
			return parts, false
		}
		parts[i] = n
		any = true
	}
	return parts, any
}

// Valid reports whether d is an ISO 8601 duration (session excluded).
func (d Duration) Valid() bool {
	_, ok := d.Parts()
	return ok
}

// AddTo returns t moved forward by d, calendar-aware (P1M after 31 January
// is the end of February's overflow, as time.AddDate does).
func (d Duration) AddTo(t time.Time) (time.Time, error) {
	p, ok := d.Parts()
	if !ok {
		return t, fmt.Errorf("not an ISO 8601 duration: %q", string(d))
	}
	t = t.AddDate(p[0], p[1], p[2]*7+p[3])
	return t.Add(time.Duration(p[4])*time.Hour + time.Duration(p[5])*time.Minute + time.Duration(p[6])*time.Second), nil
}
