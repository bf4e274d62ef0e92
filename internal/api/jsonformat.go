package api

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/jsonw"
)

// jsonFormat is huma's JSON format, except that a body which writes its
// own JSON (jsonw.Appender: the client list page, /me, report data) is
// appended without reflection. The bytes are encoding/json's, newline
// included (the types' tests and TestHotResponsesJSON compare them).
var jsonFormat = huma.Format{
	Marshal: func(w io.Writer, v any) error {
		if a, ok := v.(jsonw.Appender); ok {
			if bw, ok := w.(*bufferedWriter); ok && !bw.streaming && bw.status != 0 {
				// Straight into the held response.
				n := len(bw.buf)
				b, err := a.AppendJSON(bw.buf)
				if err == nil {
					bw.buf = append(b, '\n')
					return nil
				}
				bw.buf = b[:n]
				if !errors.Is(err, jsonw.ErrFallback) {
					return err
				}
				return stdJSON(w, v)
			}
			p := bufPool.Get().(*[]byte)
			b, err := a.AppendJSON((*p)[:0])
			if err == nil {
				b = append(b, '\n')
				_, err = w.Write(b)
				if cap(b) <= maxBuffered*2 {
					*p = b[:0]
				}
				bufPool.Put(p)
				return err
			}
			bufPool.Put(p)
			if !errors.Is(err, jsonw.ErrFallback) {
				return err
			}
		}
		return stdJSON(w, v)
	},
	Unmarshal: json.Unmarshal,
}

// stdJSON is huma's own JSON encoding.
func stdJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
