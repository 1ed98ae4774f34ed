package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection driven by one worker: it
// writes a prepared request and reads the answer in the worker's own
// goroutine. net/http's client costs about twice the CPU per request
// (two goroutines per connection, header maps), and on two shared cores
// the load tool's CPU is taken from the server: a heavy client would make
// hello-world slower and every ratio look better than it is. wrk reaches
// about the same hello-world rate as this client.
type conn struct {
	addr string
	nc   net.Conn
	br   *bufio.Reader
}

func dial(base string) (*conn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%s: only http:// URLs are supported", base)
	}
	return &conn{addr: u.Host}, nil
}

// appendRequest appends a request for path to dst.
func appendRequest(dst []byte, host, method, path, token string, body []byte) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUser-Agent: privaq-bench\r\n"...)
	if token != "" {
		dst = append(dst, "Authorization: Bearer "...)
		dst = append(dst, token...)
		dst = append(dst, "\r\n"...)
	}
	if body != nil {
		dst = append(dst, "Content-Type: application/json\r\nContent-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...)
}

// do sends req (a whole request) and returns the answer's status; the
// body is read and dropped. After an error the connection is closed and
// the next call dials again.
func (c *conn) do(req []byte) (int, error) {
	if c.nc == nil {
		nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.nc, c.br = nc, bufio.NewReaderSize(nc, 64<<10)
	}
	code, keep, err := c.roundTrip(req)
	if err != nil || !keep {
		c.nc.Close()
		c.nc = nil
	}
	return code, err
}

var (
	hdrLength   = []byte("content-length:")
	hdrEncoding = []byte("transfer-encoding:")
	hdrConn     = []byte("connection:")
)

func (c *conn) roundTrip(req []byte) (code int, keep bool, err error) {
	if _, err := c.nc.Write(req); err != nil {
		return 0, false, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	if code, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := int64(-1), false, true
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return code, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		lower := bytes.ToLower(line)
		switch {
		case bytes.HasPrefix(lower, hdrLength):
			length, err = strconv.ParseInt(string(bytes.TrimSpace(line[len(hdrLength):])), 10, 64)
			if err != nil {
				return code, false, fmt.Errorf("bad header %q", line)
			}
		case bytes.HasPrefix(lower, hdrEncoding):
			chunked = bytes.Contains(lower, []byte("chunked"))
		case bytes.HasPrefix(lower, hdrConn):
			keep = !bytes.Contains(lower, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = c.skipChunks()
	case length >= 0:
		_, err = c.br.Discard(int(length))
	default:
		return code, false, errors.New("an answer without a length")
	}
	return code, keep, err
}

func (c *conn) skipChunks() error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers, then the blank line
				line, err := c.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := c.br.Discard(int(size) + 2); err != nil {
			return err
		}
	}
}
