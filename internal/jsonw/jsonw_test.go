package jsonw_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/jsonw"
	"github.com/liaison-dev/liaison/internal/jsonw/jsonwtest"
)

// std is encoding/json as huma's JSON format runs it, without the newline.
func std(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func same(t *testing.T, what string, got []byte, v any) {
	t.Helper()
	if want := std(t, v); !bytes.Equal(got, want) {
		t.Fatalf("%s: %q\n got %s\nwant %s", what, v, got, want)
	}
}

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonwtest.Strings {
		same(t, "string", jsonw.String(nil, s), s)
	}
	r := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for range 20000 {
		s := jsonwtest.RandString(r)
		same(t, "random string", jsonw.String(nil, s), s)
	}
	for c := range 256 { // every byte alone
		s := string([]byte{byte(c)})
		same(t, "byte", jsonw.String(nil, s), s)
	}
}

func TestFloatMatchesEncodingJSON(t *testing.T) {
	fixed := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99999e-7, 1e-7, 1e20, 1e21, 123456789012345678901234.0,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -1e-300, 3.141592653589793, 100, 1234.5678, 2.5e-8}
	for _, f := range fixed {
		b, err := jsonw.Float(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "float", b, f)
	}
	r := rand.New(rand.NewPCG(2, uint64(time.Now().UnixNano())))
	for range 50000 {
		f := jsonwtest.RandFloat(r)
		b, err := jsonw.Float(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "random float", b, f)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := jsonw.Float(nil, f); err != jsonw.ErrFallback {
			t.Fatalf("Float(%v) = %v, want ErrFallback", f, err)
		}
	}
}

func TestTimeMatchesEncodingJSON(t *testing.T) {
	now := time.Now()
	fixed := []time.Time{{}, now, now.UTC(), now.Truncate(time.Second), now.In(time.FixedZone("x", -(3*3600 + 1800))),
		now.Add(123 * time.Nanosecond).UTC()}
	for _, v := range fixed {
		b, err := jsonw.Time(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "time", b, v)
	}
	r := rand.New(rand.NewPCG(3, uint64(time.Now().UnixNano())))
	for range 5000 {
		v := jsonwtest.RandTime(r, now)
		b, err := jsonw.Time(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "random time", b, v)
	}
	if _, err := jsonw.Time(nil, now.AddDate(10000, 0, 0)); err != jsonw.ErrFallback {
		t.Fatalf("year past 9999: %v, want ErrFallback", err)
	}
}

func TestCollectionsMatchEncodingJSON(t *testing.T) {
	same(t, "nil strings", jsonw.Strings(nil, nil), []string(nil))
	same(t, "empty strings", jsonw.Strings(nil, []string{}), []string{})
	same(t, "strings", jsonw.Strings(nil, jsonwtest.Strings), jsonwtest.Strings)
	r := rand.New(rand.NewPCG(4, uint64(time.Now().UnixNano())))
	for _, m := range []map[string]float64{nil, {}, {"b": 1, "a": 2, "<&>": 1e-9, "é": -0.5, "A": 3, "": 0}} {
		b, err := jsonw.FloatMap(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "map", b, m)
	}
	for range 2000 {
		m := map[string]float64{}
		for range r.IntN(20) {
			m[jsonwtest.RandString(r)] = jsonwtest.RandFloat(r)
		}
		b, err := jsonw.FloatMap(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "random map", b, m)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range jsonwtest.Strings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		same(t, "fuzzed string", jsonw.String(nil, s), s)
	})
}

func FuzzFloat(f *testing.F) {
	f.Add(1.5)
	f.Add(1e-7)
	f.Add(1e21)
	f.Fuzz(func(t *testing.T, v float64) {
		b, err := jsonw.Float(nil, v)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if err != jsonw.ErrFallback {
				t.Fatalf("Float(%v): %v", v, err)
			}
			return
		}
		same(t, "fuzzed float", b, v)
	})
}
