package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"privaq"
)

// Delivery rules: an attempt succeeds when the endpoint answers 2xx within
// Timeout; otherwise the next one comes after a backoff of 30 s doubling
// up to 6 h, with jitter, and after MaxAttempts (about 14 hours in all)
// the delivery is marked failed and shown so.
const (
	Timeout      = 10 * time.Second
	MaxAttempts  = 12
	firstBackoff = 30 * time.Second
	maxBackoff   = 6 * time.Hour
	// lease covers a whole claimed batch: at most batch/parallel rounds of
	// Timeout each.
	lease    = 2 * time.Minute
	batch    = 32
	parallel = 8
	// Keep delivered and failed deliveries this long, for the admin.
	keep       = 30 * 24 * time.Hour
	pruneBatch = 1000
)

// Backoff returns the wait before the attempt after attempt n (n ≥ 1),
// with up to 10 % jitter so that retries after an outage spread out.
func Backoff(n int) time.Duration {
	d := firstBackoff << min(max(n-1, 0), 20)
	d = min(d, maxBackoff)
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}

// Header names of a delivery.
const (
	HeaderSignature = "Privaq-Signature"
	HeaderEventID   = "Privaq-Event-Id"
	HeaderEventType = "Privaq-Event-Type"
)

// Sign returns the Privaq-Signature header of body sent at t:
// t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrSignatureFormat = errors.New("webhook: malformed Privaq-Signature header")
	ErrSignature       = errors.New("webhook: signature does not match")
	ErrSignatureAge    = errors.New("webhook: signature timestamp outside the tolerance")
)

// Verify checks a Privaq-Signature header against body, as a receiver
// does (docs/webhooks.md): the HMAC must match, and the timestamp must be
// within tolerance of now, which defeats replays of an old delivery.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return ErrSignatureFormat
		case k == "t":
			ts = v
		case k == "v1":
			b, err := hex.DecodeString(v)
			if err != nil {
				return ErrSignatureFormat
			}
			sigs = append(sigs, b)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureFormat
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal(s, want)
	}
	if !ok {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureAge
	}
	return nil
}

// Worker posts what the outbox holds.
type Worker struct {
	Store Store
	Clock privaq.Clock
	Log   *slog.Logger
	// Client posts the events; nil means NewClient().
	Client *http.Client
	once   sync.Once
}

// NewClient returns the client deliveries use: Timeout per attempt, no
// redirects followed (a 3xx is a failure: the registered URL is the one
// trusted), and no connection to link-local, multicast or unspecified
// addresses, where cloud metadata services live.
func NewClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: refuseAddress}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: Timeout,
		MaxIdleConnsPerHost:   parallel,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func refuseAddress(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
		return fmt.Errorf("connections to %s are not allowed", host)
	}
	return nil
}

// Run delivers due events every interval until ctx ends. lead reports
// whether this node is the one that runs background jobs.
func (w *Worker) Run(ctx context.Context, interval time.Duration, lead func(context.Context) bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		if lead(ctx) {
			if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
				w.Log.ErrorContext(ctx, "webhook_outbox_failed", "err", err)
			}
			if now := w.Clock.Now(); now.Sub(lastPrune) > time.Hour {
				lastPrune = now
				if _, err := w.Prune(ctx); err != nil && ctx.Err() == nil {
					w.Log.ErrorContext(ctx, "webhook_prune_failed", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce posts the events due now, batch after batch, and returns how
// many were delivered.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.once.Do(func() {
		if w.Client == nil {
			w.Client = NewClient()
		}
	})
	delivered := 0
	for {
		jobs, err := w.Store.ClaimWebhooks(ctx, w.Clock.Now(), lease, batch)
		if err != nil || len(jobs) == 0 {
			return delivered, err
		}
		var mu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		sem := make(chan struct{}, parallel)
		for i := range jobs {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				ok, err := w.deliver(ctx, &jobs[i])
				mu.Lock()
				defer mu.Unlock()
				if ok {
					delivered++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
			})
		}
		wg.Wait()
		if firstErr != nil || len(jobs) < batch {
			return delivered, firstErr
		}
	}
}

// deliver makes one attempt at j and records it.
func (w *Worker) deliver(ctx context.Context, j *Job) (bool, error) {
	a := w.post(ctx, j)
	var next *time.Time
	if !a.OK() {
		if j.Attempt < MaxAttempts {
			t := w.Clock.Now().Add(Backoff(j.Attempt))
			next = &t
		}
		w.Log.WarnContext(ctx, "webhook_delivery_failed", "delivery", j.ID, "endpoint", j.EndpointID, "event", j.EventID,
			"attempt", j.Attempt, "status", a.StatusCode, "err", a.Error, "retry", next != nil)
	}
	return a.OK(), w.Store.FinishWebhook(ctx, j, a, next)
}

// post sends j once and says what happened.
func (w *Worker) post(ctx context.Context, j *Job) (a Attempt) {
	at := w.Clock.Now()
	a = Attempt{N: j.Attempt, At: at}
	start := time.Now()
	defer func() {
		a.Duration = time.Since(start)
		a.DurationMS = a.Duration.Milliseconds()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(j.Body))
	if err != nil {
		a.Error = "the URL cannot be used: " + cause(err)
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "privaq-webhooks/1")
	req.Header.Set(HeaderEventID, j.EventID)
	req.Header.Set(HeaderEventType, j.Type)
	req.Header.Set(HeaderSignature, Sign(j.Secret, at, j.Body))
	res, err := w.Client.Do(req)
	if err != nil {
		a.Error = cause(err)
		return a
	}
	// Read a little of the answer so the connection can be reused; what
	// it says is not kept (it is the receiver's, and may be anything).
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	a.StatusCode = res.StatusCode
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
	case res.StatusCode >= 300 && res.StatusCode < 400:
		a.Error = fmt.Sprintf("HTTP %d: redirects are not followed; register the final URL", res.StatusCode)
	default:
		a.Error = fmt.Sprintf("HTTP %d %s", res.StatusCode, http.StatusText(res.StatusCode))
	}
	return a
}

// cause is an error without the URL net/http puts in front of it (the
// URL may carry a credential of the receiver), short enough for the admin.
func cause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("no answer within %s", Timeout)
		}
		err = ue.Err
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// Prune deletes the deliveries older than 30 days that are over, and
// says how many.
func (w *Worker) Prune(ctx context.Context) (int, error) {
	total := 0
	before := w.Clock.Now().Add(-keep)
	for {
		n, err := w.Store.PruneWebhooks(ctx, before, pruneBatch)
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}
