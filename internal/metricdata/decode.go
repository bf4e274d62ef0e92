package metricdata

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/liaison-dev/liaison/internal/errs"
)

// The batch decoder. A push is up to 10,000 points in 5 MiB, and decoding it
// with encoding/json (the body into raw messages, then each message into a
// struct by reflection) took more CPU than storing it (bench/README.md). This
// decoder reads the body once, byte by byte, straight into integer keys:
// each distinct (item, metric, dimension) becomes a series index and each
// date an epoch day, so nothing per point is allocated but the point itself.
//
// It answers exactly what encoding/json answered before (FuzzDecodeMatches
// compares it with that decoder): invalid JSON anywhere is invalid_json,
// keys match case-insensitively, the last of repeated keys wins, a field of
// the wrong type names that field, and the first bad point is reported by
// index after the batch-wide checks (no points, too many).

// batch is a decoded push: its distinct series in first-seen order, and its
// points with each key once (the last value of a repeated key, at the place
// the key was first seen).
type batch struct {
	received int
	series   []seriesKey
	points   []bpoint
}

// seriesKey is a series of a push: the source's item ("" for a brand's
// push), the metric and the dimension value.
type seriesKey struct{ item, metric, dimension string }

// bpoint is a point of a batch: its series (index into batch.series), day
// and value.
type bpoint struct {
	s     int32
	day   int32
	value float64
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

type decoder struct {
	b        []byte
	i        int
	bad      bool // syntax error
	depth    int
	withItem bool

	// The batch being built, and the first bad point.
	n        int
	firstErr error
	out      batch
	index    map[seriesKey]int32
	seen     map[uint64]int32
}

func batchError(code, msg string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Code: code, Field: "points", Message: fmt.Sprintf(msg, args...)}
}

var errInvalidJSON = batchError("invalid_json", "The body must be JSON: {\"points\":[{\"date\",\"metric\",\"value\",\"dimension\"}]}. Nothing was stored.")

// decode reads and validates a push body as a whole; withItem asks every
// point for an item (a data source's push).
func decode(body []byte, withItem bool) (*batch, error) {
	if len(body) > MaxBatchBytes {
		return nil, batchError("batch_too_large", "A batch may be at most %d bytes (5 MiB); send it in smaller batches. Nothing was stored.", MaxBatchBytes)
	}
	d := &decoder{b: body, withItem: withItem}
	typeErr := d.top()
	if !d.bad {
		d.ws()
		if d.i != len(d.b) {
			d.bad = true
		}
	}
	switch {
	case d.bad || typeErr:
		return nil, errInvalidJSON
	case d.n == 0:
		return nil, batchError("no_points", "Send at least one point in \"points\".")
	case d.n > MaxPoints:
		return nil, batchError("too_many_points", "A batch may hold at most %d points, this one has %d; send it in smaller batches. Nothing was stored.", MaxPoints, d.n)
	case d.firstErr != nil:
		return nil, d.firstErr
	}
	d.out.received = d.n
	return &d.out, nil
}

// top reads the body's value; true when it is valid JSON of the wrong shape
// (not an object, or points not an array).
func (d *decoder) top() (typeErr bool) {
	d.ws()
	if d.i >= len(d.b) {
		d.bad = true
		return false
	}
	switch d.b[d.i] {
	case '{':
	case 'n':
		d.literal("null")
		return false
	default:
		d.skip()
		return true
	}
	d.i++
	d.depth = 1
	d.ws()
	if d.peek() == '}' {
		d.i++
		return false
	}
	for !d.bad {
		key, ok := d.key()
		if !ok {
			return
		}
		if strings.EqualFold(key, "points") {
			d.reset()
			switch d.peek() {
			case '[':
				d.points()
			case 'n':
				d.literal("null")
			default:
				d.skip()
				typeErr = true
			}
		} else {
			d.skip()
		}
		if !d.next('}') {
			return
		}
	}
	return
}

func (d *decoder) reset() {
	d.n, d.firstErr = 0, nil
	d.out = batch{}
	d.index, d.seen = nil, nil
}

// key reads `"name" :` and what follows the colon's spaces.
func (d *decoder) key() (string, bool) {
	d.ws()
	if d.peek() != '"' {
		d.bad = true
		return "", false
	}
	tok, plain := d.str()
	if d.bad {
		return "", false
	}
	d.ws()
	if d.peek() != ':' {
		d.bad = true
		return "", false
	}
	d.i++
	d.ws()
	if plain {
		return unsafeString(tok[1 : len(tok)-1]), true
	}
	return unquote(tok), true
}

// next reads the separator after a member or element: true when another
// follows (','), false at the end (close) or on a syntax error.
func (d *decoder) next(close byte) bool {
	d.ws()
	switch d.peek() {
	case ',':
		d.i++
		return true
	case close:
		d.i++
		return false
	}
	d.bad = true
	return false
}

func (d *decoder) points() {
	d.i++ // [
	d.depth = 2
	defer func() { d.depth = 1 }()
	d.ws()
	if d.peek() == ']' {
		d.i++
		return
	}
	for !d.bad {
		d.ws()
		d.point()
		if !d.next(']') {
			return
		}
	}
}

// point reads one element of points. Once a point is bad, or past
// MaxPoints, the rest are only checked for syntax and counted.
func (d *decoder) point() {
	idx := d.n
	d.n++
	if d.firstErr != nil || d.n > MaxPoints {
		d.skip()
		return
	}
	var (
		date, metric, dim, item    []byte
		hasDate, hasMetric, hasDim bool
		hasItem                    bool
		datePlain, metricPlain     bool
		dimPlain, itemPlain        bool
		value                      []byte
		typeField                  string
		typeErr                    bool
	)
	switch d.peek() {
	case '{':
	case 'n':
		d.literal("null")
		d.firstErr = pointError(idx, "date", "date is missing.")
		return
	default:
		d.skip()
		d.firstErr = pointError(idx, "value", "not an object with date, metric and dimension as strings and value as a number.")
		return
	}
	d.i++
	d.depth = 3
	d.ws()
	if d.peek() == '}' {
		d.i++
	} else {
		for !d.bad {
			key, ok := d.key()
			if !ok {
				return
			}
			var field string
			var dst *[]byte
			var has, plain *bool
			switch {
			case strings.EqualFold(key, "date"):
				field, dst, has, plain = "date", &date, &hasDate, &datePlain
			case strings.EqualFold(key, "metric"):
				field, dst, has, plain = "metric", &metric, &hasMetric, &metricPlain
			case strings.EqualFold(key, "dimension"):
				field, dst, has, plain = "dimension", &dim, &hasDim, &dimPlain
			case d.withItem && strings.EqualFold(key, "item"):
				field, dst, has, plain = "item", &item, &hasItem, &itemPlain
			case strings.EqualFold(key, "value"):
				start := d.i
				d.skip()
				value = d.b[start:d.i]
			default:
				d.skip()
			}
			if dst != nil {
				switch d.peek() {
				case '"':
					*dst, *plain = d.str()
					*has = true
				case 'n':
					d.literal("null")
					*has = false
				default:
					d.skip()
					if !typeErr {
						typeErr, typeField = true, field
					}
				}
			}
			if !d.next('}') {
				break
			}
		}
	}
	d.depth = 2
	if d.bad {
		return
	}
	if typeErr {
		d.firstErr = pointError(idx, typeField, "not an object with date, metric and dimension as strings and value as a number.")
		return
	}
	switch {
	case !hasDate:
		d.firstErr = pointError(idx, "date", "date is missing.")
		return
	case !hasMetric:
		d.firstErr = pointError(idx, "metric", "metric is missing.")
		return
	case value == nil || string(value) == "null":
		d.firstErr = pointError(idx, "value", "value is missing.")
		return
	case d.withItem && !hasItem:
		d.firstErr = pointError(idx, "item", "item is missing: the source's name for the account, site or campaign.")
		return
	}
	day, ok := dayOf(date, datePlain)
	if !ok {
		d.firstErr = pointError(idx, "date", "%q is not a day that exists, as YYYY-MM-DD.", clip(text(date, datePlain)))
		return
	}
	m := text(metric, metricPlain)
	if !ValidMetricName(m) {
		d.firstErr = pointError(idx, "metric", "%q is not a metric name: a lower-case letter, then up to 63 of a-z, 0-9, _ and .", clip(m))
		return
	}
	var dm, it string
	if hasDim {
		dm = text(dim, dimPlain)
		if !validText(dm, dimPlain) {
			d.firstErr = pointError(idx, "dimension", "a dimension is at most %d characters of plain text.", MaxDimensionLen)
			return
		}
	}
	if d.withItem {
		it = text(item, itemPlain)
		if it == "" || !validText(it, itemPlain) {
			d.firstErr = pointError(idx, "item", "an item is 1 to %d characters of plain text.", MaxDimensionLen)
			return
		}
	}
	v, err := numberValue(value)
	if err != nil {
		d.firstErr = pointError(idx, "value", "%s", err.Error())
		return
	}
	d.add(seriesKey{it, m, dm}, day, v)
}

// add appends a point, or replaces the value of its key seen earlier. The
// key's strings may point into the body: they are copied when kept.
func (d *decoder) add(k seriesKey, day int32, v float64) {
	if d.index == nil {
		d.index = make(map[seriesKey]int32, 64)
		d.seen = make(map[uint64]int32, 1024)
		d.out.points = make([]bpoint, 0, min(MaxPoints, len(d.b)/40+1))
	}
	s, ok := d.index[k]
	if !ok {
		k = seriesKey{strings.Clone(k.item), strings.Clone(k.metric), strings.Clone(k.dimension)}
		s = int32(len(d.out.series))
		d.out.series = append(d.out.series, k)
		d.index[k] = s
	}
	pk := uint64(uint32(s))<<32 | uint64(uint32(day))
	if at, ok := d.seen[pk]; ok {
		d.out.points[at].value = v
		return
	}
	d.seen[pk] = int32(len(d.out.points))
	d.out.points = append(d.out.points, bpoint{s: s, day: day, value: v})
}

// text is a string token's value: the bytes between the quotes when plain
// (ASCII without escapes, not copied), else what encoding/json makes of it.
func text(tok []byte, plain bool) string {
	if plain {
		return unsafeString(tok[1 : len(tok)-1])
	}
	return unquote(tok)
}

func unquote(tok []byte) string {
	var s string
	_ = json.Unmarshal(tok, &s) // the token was checked: this cannot fail
	return s
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// validText is ValidDimension, quicker for plain ASCII.
func validText(s string, plain bool) bool {
	if !plain {
		return ValidDimension(s)
	}
	if len(s) > MaxDimensionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// dayOf reads a date token as an epoch day.
func dayOf(tok []byte, plain bool) (int32, bool) {
	if plain {
		return epochDay(unsafeString(tok[1 : len(tok)-1]))
	}
	return epochDay(unquote(tok))
}

// numberValue reads a point's value token: a number, finite.
func numberValue(raw []byte) (float64, error) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, fmt.Errorf("value must be a number.")
	}
	v, err := strconv.ParseFloat(unsafeString(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("value must be a finite number.")
	}
	return v, nil
}

// Syntax.

func (d *decoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) literal(lit string) {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return
	}
	d.bad = true
}

// str reads a string token (quotes included); plain when it is ASCII
// without escapes.
func (d *decoder) str() ([]byte, bool) {
	start := d.i
	d.i++ // "
	plain := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.b[start:d.i], plain
		case c < 0x20:
			d.bad = true
			return nil, false
		case c == '\\':
			plain = false
			if d.i+1 >= len(d.b) {
				d.bad = true
				return nil, false
			}
			switch d.b[d.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i += 2
			case 'u':
				if d.i+6 > len(d.b) {
					d.bad = true
					return nil, false
				}
				for _, h := range d.b[d.i+2 : d.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						d.bad = true
						return nil, false
					}
				}
				d.i += 6
			default:
				d.bad = true
				return nil, false
			}
		default:
			if c >= 0x80 {
				plain = false
			}
			d.i++
		}
	}
	d.bad = true
	return nil, false
}

// number reads a number token by JSON's grammar.
func (d *decoder) number() {
	b, i := d.b, d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		d.bad = true
		return
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.bad = true
			return
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.bad = true
			return
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	d.i = i
}

// skip reads any value, checking its syntax only.
func (d *decoder) skip() {
	d.ws()
	switch c := d.peek(); {
	case c == '"':
		d.str()
	case c == '-' || c >= '0' && c <= '9':
		d.number()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	case c == '{' || c == '[':
		d.depth++
		if d.depth > maxDepth {
			d.bad = true
			return
		}
		d.i++
		d.ws()
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if d.peek() == end {
			d.i++
			d.depth--
			return
		}
		for !d.bad {
			if c == '{' {
				if _, ok := d.key(); !ok {
					return
				}
			}
			d.skip()
			if !d.next(end) {
				break
			}
		}
		d.depth--
	default:
		d.bad = true
	}
}
