package incident_test

import (
	"fmt"
	"testing"
	"time"

	"privaq/internal/incident"
	"privaq/internal/store/storetest"
)

// BenchmarkSendTenThousandNotices measures what an officer waits for once
// they press "send" on a list of 10,000 people with an email address: the
// notices queued in the outbox in one transaction, then delivered by the
// mail worker to an in-process SMTP server (go-smtp on 127.0.0.1), and
// recorded as sent. Declaring the incident and importing the list are not
// timed. Run: go test ./internal/incident -run XXX -bench SendTenThousand
func BenchmarkSendTenThousandNotices(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(e.Name, func(b *testing.B) {
			f := newFixture(b, storetest.Open(b, e.URL(b)))
			worker, srv := smtpWorker(b, f)
			list := tenThousandWithEmail()
			var total time.Duration
			runs := 0
			for b.Loop() {
				b.StopTimer()
				inc := f.declare(b)
				f.assessSerious(b, inc.ID)
				if _, err := f.svc.ImportPeople(ctx, f.officer, f.a.ID, inc.ID, list); err != nil {
					b.Fatal(err)
				}
				before := len(srv.Messages())
				b.StartTimer()
				began := time.Now()
				sent, err := f.svc.SendNotices(ctx, f.officer, f.a.ID, inc.ID)
				if err != nil || sent.Queued != incident.MaxPeople {
					b.Fatalf("send: got %+v, %v", sent.Queued, err)
				}
				queued := time.Since(began)
				n, err := worker.RunOnce(ctx)
				b.Logf("queued in %s, delivered in %s", queued, time.Since(began)-queued)
				if err != nil || n != incident.MaxPeople {
					b.Fatalf("worker: got %d, %v", n, err)
				}
				total += time.Since(began)
				runs++
				b.StopTimer()
				if got := len(srv.Messages()) - before; got != incident.MaxPeople {
					b.Fatalf("SMTP server received %d messages, want %d", got, incident.MaxPeople)
				}
				b.StartTimer()
			}
			per := total / time.Duration(runs)
			b.ReportMetric(per.Seconds(), "s/10k-notices")
			b.ReportMetric(float64(incident.MaxPeople)/per.Seconds(), "notices/s")
			fmt.Printf("%s: 10,000 notices queued and delivered through the in-process SMTP server in %s (%.0f notices/s)\n",
				e.Name, per.Round(time.Millisecond), float64(incident.MaxPeople)/per.Seconds())
		})
	}
}

// tenThousandWithEmail is a list of 10,000 people who all have an address.
func tenThousandWithEmail() []byte {
	b := []byte("name,email,lang\n")
	for i := range incident.MaxPeople {
		lang := "fr"
		if i%3 == 0 {
			lang = "en"
		}
		b = fmt.Appendf(b, "Parent n° %d Lévesque,parent%05d@example.org,%s\n", i, i, lang)
	}
	return b
}
