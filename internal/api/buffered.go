package api

import (
	"net/http"
	"strconv"
	"sync"
)

// bufferedWriter holds a response's body until the handler returns, then
// sends it with a Content-Length in one Write. Written straight through,
// a JSON answer larger than net/http's 2 KB chunking buffer went out
// chunked, in three write(2) calls where one would do: about a sixth of a
// client-list request's CPU (bench/README.md). A body past maxBuffered (a
// CSV export) is streamed as before.
type bufferedWriter struct {
	w         http.ResponseWriter
	status    int
	buf       []byte
	streaming bool
}

const maxBuffered = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func (b *bufferedWriter) Header() http.Header { return b.w.Header() }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.streaming {
		b.w.WriteHeader(code)
		return
	}
	if b.status == 0 || code < 200 { // a 1xx goes out at once
		if code < 200 {
			b.w.WriteHeader(code)
			return
		}
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.streaming {
		return b.w.Write(p)
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if len(b.buf)+len(p) > maxBuffered {
		b.stream()
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush sends what is held and streams from then on.
func (b *bufferedWriter) Flush() {
	if !b.streaming {
		b.stream()
	}
	if f, ok := b.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (b *bufferedWriter) Unwrap() http.ResponseWriter { return b.w }

func (b *bufferedWriter) stream() {
	b.streaming = true
	if b.status != 0 {
		b.w.WriteHeader(b.status)
	}
	if len(b.buf) > 0 {
		_, _ = b.w.Write(b.buf)
		b.buf = b.buf[:0]
	}
}

// finish sends the held response.
func (b *bufferedWriter) finish() {
	if b.streaming || b.status == 0 {
		return
	}
	if b.status != http.StatusNoContent && b.status != http.StatusNotModified && b.w.Header().Get("Content-Length") == "" {
		b.w.Header().Set("Content-Length", strconv.Itoa(len(b.buf)))
	}
	b.w.WriteHeader(b.status)
	if len(b.buf) > 0 {
		_, _ = b.w.Write(b.buf)
	}
}

// serveBuffered runs h with its response held in a pooled buffer.
func serveBuffered(h http.Handler, w http.ResponseWriter, r *http.Request) {
	p := bufPool.Get().(*[]byte)
	b := &bufferedWriter{w: w, buf: (*p)[:0]}
	defer func() {
		if cap(b.buf) <= maxBuffered*2 {
			*p = b.buf[:0]
			bufPool.Put(p)
		}
	}()
	h.ServeHTTP(b, r)
	b.finish()
}
