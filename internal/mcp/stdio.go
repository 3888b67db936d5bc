package mcp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxLine is the longest message StdioTransport accepts, in bytes.
const MaxLine = 8 << 20

// StdioTransport serves one session on newline-delimited JSON-RPC streams,
// like the SDK's IOTransport, except that a line that is not JSON (or is
// longer than MaxLine) is answered with a JSON-RPC parse error (code
// −32700, id null) and skipped, so one bad line does not end the session,
// and every error answer has a code (see CodeTransport).
func StdioTransport(in io.ReadCloser, out io.WriteCloser) sdk.Transport {
	w := &lockedWriter{w: out}
	return CodeTransport(&sdk.IOTransport{Reader: &jsonLines{r: bufio.NewReaderSize(in, 64<<10), c: in, w: w}, Writer: w, MaxLineLength: -1})
}

// lockedWriter lets the SDK and jsonLines write whole messages in turn.
type lockedWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error { return l.w.Close() }

// jsonLines passes on the lines of r that are JSON values.
type jsonLines struct {
	r       *bufio.Reader
	c       io.Closer
	w       io.Writer
	pending []byte
}

var parseError = []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: the line is not a JSON value"}}` + "\n")

var tooLong = []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: the line is longer than the server accepts"}}` + "\n")

func (j *jsonLines) Read(p []byte) (int, error) {
	for len(j.pending) == 0 {
		line, long, err := j.line()
		switch t := bytes.TrimSpace(line); {
		case long:
			if _, werr := j.w.Write(tooLong); werr != nil {
				return 0, werr
			}
		case len(t) == 0:
		case json.Valid(t):
			j.pending = append(t, '\n')
		default:
			if _, werr := j.w.Write(parseError); werr != nil {
				return 0, werr
			}
		}
		if err != nil && len(j.pending) == 0 {
			return 0, err
		}
		if err != nil {
			break
		}
	}
	n := copy(p, j.pending)
	j.pending = j.pending[n:]
	return n, nil
}

// line reads one line, at most MaxLine bytes of it; long reports a line
// that was longer (its rest is discarded).
func (j *jsonLines) line() ([]byte, bool, error) {
	var buf []byte
	for {
		frag, err := j.r.ReadSlice('\n')
		if len(buf)+len(frag) > MaxLine {
			for errors.Is(err, bufio.ErrBufferFull) { // discard the rest of the line
				_, err = j.r.ReadSlice('\n')
			}
			return nil, true, err
		}
		buf = append(buf, frag...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, false, err
		}
	}
}

func (j *jsonLines) Close() error { return j.c.Close() }
