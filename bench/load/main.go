// Command load is the HTTP load generator of bench/run.sh. It drives a
// privaq server (or the hello-world baseline) on loopback and appends one
// JSON result per measurement to a file, which "load table" turns into the
// figures and ratios of issue 5:
//
//	load hello  -url URL [-path /]                 GET at full speed
//	load post   -url URL -token T                  one consent per POST, unique subjects
//	load get    -url URL -token T -n N             single decisions, random recorded subjects
//	load seed   -url URL -token T -n N             N records in POSTs of -batch records
//	load bulk   -url URL -token T -n N -pairs P    P pairs in one POST …/decisions, -runs times
//	load verify -url URL -token T                  GET …/ledger/verify, timed
//	load table  -out FILE                          the table of every result in FILE
//
// The rate tests keep -c connections busy for -d after a warm-up, and
// report requests/s, p50/p99 latency, errors and status counts. With -pid,
// the server's resident memory (VmRSS, sampled every 100 ms, and VmHWM)
// is read from /proc during the measurement.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one measurement, one JSON line of the -out file.
type Result struct {
	Engine   string         `json:"engine"`
	Test     string         `json:"test"`
	Conns    int            `json:"conns,omitempty"`
	Seconds  float64        `json:"seconds"`
	Requests int64          `json:"requests,omitempty"`
	RPS      float64        `json:"rps,omitempty"`
	P50MS    float64        `json:"p50_ms,omitempty"`
	P99MS    float64        `json:"p99_ms,omitempty"`
	MaxMS    float64        `json:"max_ms,omitempty"`
	Errors   int64          `json:"errors"`
	Status   map[string]int `json:"status,omitempty"`
	Records  int64          `json:"records,omitempty"`
	Note     string         `json:"note,omitempty"`
	RSSMaxKB int64          `json:"rss_max_kb,omitempty"`
	HWMKB    int64          `json:"hwm_kb,omitempty"`
	// Runs are the durations of repeated single calls (bulk, verify).
	RunsMS []float64 `json:"runs_ms,omitempty"`
}

type options struct {
	url, token, org, purpose, path string
	engine, test, out              string
	conns                          int
	dur, warm                      time.Duration
	n, batch, pairs, runs          int
	pid                            int
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load hello|post|get|seed|bulk|verify|table [flags] (see the package comment)")
		os.Exit(2)
	}
	cmd := os.Args[1]
	var o options
	fs := flag.NewFlagSet("load "+cmd, flag.ExitOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the server")
	fs.StringVar(&o.token, "token", "", "API token (pq_…)")
	fs.StringVar(&o.org, "org", "demo", "organization slug")
	fs.StringVar(&o.purpose, "purpose", "newsletter", "purpose of the records and decisions")
	fs.StringVar(&o.path, "path", "/", "path of the hello test")
	fs.StringVar(&o.engine, "engine", "-", "label: the engine under test")
	fs.StringVar(&o.test, "name", cmd, "label: the test's name in the table")
	fs.StringVar(&o.out, "out", "", "append the JSON result to this file")
	fs.IntVar(&o.conns, "c", 64, "connections (rate tests), concurrent batches (seed)")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "duration of a rate test, after the warm-up")
	fs.DurationVar(&o.warm, "warm", time.Second, "warm-up of a rate test, not measured")
	fs.IntVar(&o.n, "n", 0, "records to seed; for get and bulk, subjects s-0…s-(n-1) to ask about")
	fs.IntVar(&o.batch, "batch", 10000, "records per seeding POST")
	fs.IntVar(&o.pairs, "pairs", 100000, "pairs per bulk decision")
	fs.IntVar(&o.runs, "runs", 5, "timed calls of bulk and verify (after one untimed bulk call)")
	fs.IntVar(&o.pid, "pid", 0, "server process whose memory to read from /proc")
	fs.Parse(os.Args[2:])
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "load %s: unexpected argument %q\n", cmd, fs.Arg(0))
		os.Exit(2)
	}

	var res Result
	var err error
	switch cmd {
	case "hello":
		res, err = o.rate(func(dst []byte, h string, _ int, _ int64, _ *rand.Rand) ([]byte, int) {
			return appendRequest(dst, h, "GET", o.path, "", nil), http.StatusOK
		})
	case "post":
		run := time.Now().UnixNano()
		path := "/api/v1/orgs/" + o.org + "/consents"
		res, err = o.rate(func(dst []byte, h string, w int, i int64, _ *rand.Rand) ([]byte, int) {
			body := consentBody(make([]byte, 0, 192), fmt.Sprintf("p%x-%d-%d", run, w, i), o.purpose, 0)
			return appendRequest(dst, h, "POST", path, o.token, body), http.StatusCreated
		})
	case "get":
		if o.n < 1 {
			err = errors.New("-n: the number of seeded subjects is required")
			break
		}
		path := "/api/v1/orgs/" + o.org + "/decisions?purpose=" + url.QueryEscape(o.purpose) + "&subject=s-"
		res, err = o.rate(func(dst []byte, h string, w int, i int64, rnd *rand.Rand) ([]byte, int) {
			p := strconv.AppendInt([]byte(path), int64(rnd.IntN(o.n)), 10)
			return appendRequest(dst, h, "GET", string(p), o.token, nil), http.StatusOK
		})
	case "seed":
		res, err = o.seed()
	case "bulk":
		res, err = o.bulk()
	case "verify":
		res, err = o.verify()
	case "table":
		if err := table(o.out, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "load table: %v\n", err)
			os.Exit(1)
		}
		return
	default:
		fmt.Fprintf(os.Stderr, "load: unknown test %q\n", cmd)
		os.Exit(2)
	}
	res.Engine, res.Test = o.engine, o.test
	if err != nil {
		// A failed measurement is kept, so that the table shows it.
		res.Errors++
		res.Note = "FAILED: " + err.Error()
		res.RPS = 0
	}
	fmt.Println(res.line())
	if o.out != "" {
		if err := appendJSON(o.out, res); err != nil {
			fmt.Fprintf(os.Stderr, "load %s: %v\n", cmd, err)
			os.Exit(1)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "load %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

func appendJSON(path string, r Result) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// line is the human summary of a result.
func (r Result) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-14s", r.Engine, r.Test)
	if r.RPS > 0 {
		fmt.Fprintf(&b, " %9.0f req/s  p50 %.2f ms  p99 %.2f ms  max %.1f ms  requests %d  errors %d  status %v",
			r.RPS, r.P50MS, r.P99MS, r.MaxMS, r.Requests, r.Errors, r.Status)
	} else {
		fmt.Fprintf(&b, " %.3f s  errors %d", r.Seconds, r.Errors)
	}
	if r.Records > 0 {
		fmt.Fprintf(&b, "  records %d", r.Records)
	}
	if len(r.RunsMS) > 0 {
		fmt.Fprintf(&b, "  runs_ms %v", r.RunsMS)
	}
	if r.Note != "" {
		b.WriteString("  " + r.Note)
	}
	if r.RSSMaxKB > 0 {
		fmt.Fprintf(&b, "  rss_max %d MiB  hwm %d MiB", r.RSSMaxKB>>10, r.HWMKB>>10)
	}
	return b.String()
}

// client is an HTTP client keeping one connection per worker.
type client struct {
	o    *options
	http *http.Client
	rnds []*rand.Rand
}

func newClient(o *options, conns int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	c := &client{o: o, http: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
	for i := range conns {
		c.rnds = append(c.rnds, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))))
	}
	return c
}

// rand is worker w's own generator: no lock between workers.
func (c *client) rand(w int) *rand.Rand { return c.rnds[w] }

func (c *client) api(rest string) string { return "/api/v1/orgs/" + c.o.org + rest }

func (c *client) req(method, path string, body []byte) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, c.o.url+path, rd)
	if err != nil {
		panic(err) // the URL is the tool's own; a bad one is a usage error
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.o.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.o.token)
	}
	return r
}

// do sends r and reads the whole answer.
func (c *client) do(r *http.Request) (int, []byte, error) {
	resp, err := c.http.Do(r)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// rate keeps o.conns workers, each on its own connection, sending the
// requests mk appends to dst (for host h, worker w, the worker's i-th
// request), for o.warm unmeasured then o.dur measured. mk returns the
// request and the status that counts as a success.
func (o *options) rate(mk func(dst []byte, h string, w int, i int64, rnd *rand.Rand) ([]byte, int)) (Result, error) {
	type tally struct {
		lat    []time.Duration
		status map[int]int
		errs   int64
		last   error
	}
	tallies := make([]tally, o.conns)
	var measuring, stop atomic.Bool
	var wg sync.WaitGroup
	for w := range o.conns {
		c, err := dial(o.url)
		if err != nil {
			return Result{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[w]
			t.status = map[int]int{}
			t.lat = make([]time.Duration, 0, 1<<16)
			rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			var req []byte
			for i := int64(0); !stop.Load(); i++ {
				var want int
				req, want = mk(req[:0], c.addr, w, i, rnd)
				start := time.Now()
				code, err := c.do(req)
				d := time.Since(start)
				if !measuring.Load() || stop.Load() {
					continue
				}
				t.lat = append(t.lat, d)
				t.status[code]++
				if err != nil || code != want {
					t.errs++
					if err != nil {
						t.last = err
					}
				}
			}
		}()
	}
	time.Sleep(o.warm)
	mem := o.watch()
	measuring.Store(true)
	start := time.Now()
	time.Sleep(o.dur)
	stop.Store(true)
	elapsed := time.Since(start)
	res := Result{Conns: o.conns, Seconds: elapsed.Seconds(), Status: map[string]int{}}
	res.RSSMaxKB, res.HWMKB = mem()
	wg.Wait()
	var lat []time.Duration
	for _, t := range tallies {
		lat = append(lat, t.lat...)
		for code, n := range t.status {
			k := fmt.Sprint(code)
			if code == 0 {
				k = "transport_error"
			}
			res.Status[k] += n
		}
		res.Errors += t.errs
		if t.last != nil && res.Note == "" {
			res.Note = "last error: " + t.last.Error()
		}
	}
	if len(lat) == 0 {
		return res, errors.New("no request completed")
	}
	slices.Sort(lat)
	// The rate counts only the answers with the wanted status.
	res.Requests = int64(len(lat))
	res.RPS = float64(int64(len(lat))-res.Errors) / elapsed.Seconds()
	res.P50MS, res.P99MS, res.MaxMS = ms(pct(lat, 0.50)), ms(pct(lat, 0.99)), ms(lat[len(lat)-1])
	return res, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(len(sorted)-1, i))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// watch samples the server's VmRSS every 100 ms until the returned
// function is called, which returns the largest sample and VmHWM.
func (o *options) watch() func() (rssMax, hwm int64) {
	if o.pid == 0 {
		return func() (int64, int64) { return 0, 0 }
	}
	stop := make(chan struct{})
	done := make(chan int64)
	go func() {
		var peak int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			rss, _ := procMem(o.pid)
			peak = max(peak, rss)
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() (int64, int64) {
		close(stop)
		peak := <-done
		rss, hwm := procMem(o.pid)
		return max(peak, rss), hwm
	}
}

// procMem reads VmRSS and VmHWM, in KiB, from /proc/PID/status.
func procMem(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		var v int64
		if _, err := fmt.Sscanf(l, "VmRSS: %d kB", &v); err == nil {
			rss = v
		} else if _, err := fmt.Sscanf(l, "VmHWM: %d kB", &v); err == nil {
			hwm = v
		}
	}
	return rss, hwm
}
