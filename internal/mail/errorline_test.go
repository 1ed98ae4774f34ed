package mail

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorLineDropsAddresses checks that an SMTP error quoting the
// recipient is stored and logged without the address.
func TestErrorLineDropsAddresses(t *testing.T) {
	err := errors.New(`failed to send mail: 550 5.1.1 <lea.tremblay@example.org>: Recipient address rejected (affected recipient(s): lea.tremblay@example.org)` + "\nsecond line")
	got := errorLine(err)
	if strings.Contains(got, "tremblay") || strings.Contains(got, "second line") || !strings.Contains(got, "550 5.1.1") {
		t.Errorf("errorLine: %q", got)
	}
}
