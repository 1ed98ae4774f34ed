package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// consentBody appends one express consent record for subject to dst.
// Every tenth record of a seed is a refusal, so that decisions are not
// all alike.
func consentBody(dst []byte, subject, purpose string, i int64) []byte {
	decision := "granted"
	if i%10 == 9 {
		decision = "refused"
	}
	dst = append(dst, `{"subject":`...)
	dst = strconv.AppendQuote(dst, subject)
	dst = append(dst, `,"purpose":`...)
	dst = strconv.AppendQuote(dst, purpose)
	dst = append(dst, `,"decision":"`...)
	dst = append(dst, decision...)
	return append(dst, `","mode":"express","channel":"api","given_by":"subject"}`...)
}

// seed records subjects s-0…s-(n-1), one record each, in POSTs of
// o.batch records, o.conns at a time.
func (o *options) seed() (Result, error) {
	if o.n < 1 || o.batch < 1 {
		return Result{}, errors.New("-n and -batch must be positive")
	}
	c := newClient(o, o.conns)
	batches := (o.n + o.batch - 1) / o.batch
	var next atomic.Int64
	var failed atomic.Pointer[error]
	mem := o.watch()
	start := time.Now()
	var wg sync.WaitGroup
	for range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := make([]byte, 0, o.batch*130)
			for failed.Load() == nil {
				b := int(next.Add(1) - 1)
				if b >= batches {
					return
				}
				body = append(body[:0], `{"records":[`...)
				for i := b * o.batch; i < min(o.n, (b+1)*o.batch); i++ {
					if i > b*o.batch {
						body = append(body, ',')
					}
					body = consentBody(body, "s-"+strconv.Itoa(i), o.purpose, int64(i))
				}
				body = append(body, "]}"...)
				code, resp, err := c.do(c.req("POST", c.api("/consents"), body))
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("batch %d: got %d %.300s, want 201", b, code, resp)
				}
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	res := Result{Conns: o.conns, Seconds: took.Seconds(), Records: int64(o.n),
		Note: fmt.Sprintf("%.0f records/s in POSTs of %d", float64(o.n)/took.Seconds(), o.batch)}
	res.RSSMaxKB, res.HWMKB = mem()
	if p := failed.Load(); p != nil {
		return res, *p
	}
	return res, nil
}

// bulk asks o.pairs decisions about random seeded subjects in one call,
// once to warm up, then o.runs timed times.
func (o *options) bulk() (Result, error) {
	if o.n < 1 || o.pairs < 1 {
		return Result{}, errors.New("-n and -pairs must be positive")
	}
	c := newClient(o, 1)
	mem := o.watch()
	res := Result{Conns: 1}
	var granted int
	for run := range o.runs + 1 {
		body := make([]byte, 0, o.pairs*48)
		body = append(body, `{"pairs":[`...)
		for i := range o.pairs {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, `{"subject":"s-`...)
			body = strconv.AppendInt(body, int64(c.rand(0).IntN(o.n)), 10)
			body = append(body, `","purpose":`...)
			body = strconv.AppendQuote(body, o.purpose)
			body = append(body, '}')
		}
		body = append(body, "]}"...)
		start := time.Now()
		code, resp, err := c.do(c.req("POST", c.api("/decisions"), body))
		took := time.Since(start)
		if err != nil {
			return res, err
		}
		var out struct {
			Decisions []struct {
				State string `json:"state"`
			} `json:"decisions"`
		}
		if code != http.StatusOK || json.Unmarshal(resp, &out) != nil || len(out.Decisions) != o.pairs {
			return res, fmt.Errorf("got %d %.300s, want 200 and %d decisions", code, resp, o.pairs)
		}
		if run == 0 {
			continue // warm-up: the first call pays for the cold caches
		}
		res.RunsMS = append(res.RunsMS, ms(took))
		granted = 0
		for _, d := range out.Decisions {
			if d.State == "granted" {
				granted++
			}
		}
	}
	res.RSSMaxKB, res.HWMKB = mem()
	res.Seconds = median(res.RunsMS) / 1000
	res.Records = int64(o.pairs)
	res.Note = fmt.Sprintf("pairs %d, granted in the last answer %d", o.pairs, granted)
	return res, nil
}

// verify times GET …/ledger/verify o.runs times.
func (o *options) verify() (Result, error) {
	c := newClient(o, 1)
	mem := o.watch()
	res := Result{Conns: 1}
	for range max(1, o.runs) {
		start := time.Now()
		code, resp, err := c.do(c.req("GET", c.api("/ledger/verify"), nil))
		took := time.Since(start)
		if err != nil {
			return res, err
		}
		var rep struct {
			OK      bool  `json:"ok"`
			Records int64 `json:"records"`
			Batches int64 `json:"batches"`
			TookMS  int64 `json:"took_ms"`
		}
		if code != http.StatusOK || json.Unmarshal(resp, &rep) != nil || !rep.OK {
			res.Errors++
			return res, fmt.Errorf("got %d %.300s, want 200 and ok", code, resp)
		}
		res.RunsMS = append(res.RunsMS, ms(took))
		res.Records = rep.Records
		res.Note = fmt.Sprintf("ok, %d batches, server took_ms %d", rep.Batches, rep.TookMS)
	}
	res.RSSMaxKB, res.HWMKB = mem()
	res.Seconds = median(res.RunsMS) / 1000
	return res, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}
