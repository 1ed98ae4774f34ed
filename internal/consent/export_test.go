package consent

// SetVerifyChunk makes Verify read n records at a time until the test
// ends, so a few records span several chunks.
func SetVerifyChunk(t interface{ Cleanup(func()) }, n int) {
	old := verifyChunk
	verifyChunk = n
	t.Cleanup(func() { verifyChunk = old })
}
