package report

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/liaison-dev/liaison/internal/jsonw"
)

// encoded is a computed Data's JSON. The cache hands the same Data (never
// changed once computed) to every request for a report, range and data
// version, so its JSON is made once, by encoding/json itself, and each
// request appends the bytes: no reflection per request and, by
// construction, the contract's bytes (TestReportDataJSON checks it too).
type encoded struct {
	once sync.Once
	b    []byte
	err  error
}

// AppendJSON appends d's JSON (ErrFallback for a Data not from Data).
func (d Data) AppendJSON(b []byte) ([]byte, error) {
	if d.enc == nil {
		return b, jsonw.ErrFallback
	}
	e := d.enc
	e.once.Do(func() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if e.err = enc.Encode(d); e.err == nil {
			e.b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		}
	})
	if e.err != nil {
		return b, jsonw.ErrFallback
	}
	return append(b, e.b...), nil
}
