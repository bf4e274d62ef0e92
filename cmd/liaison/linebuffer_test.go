package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter records each Write it gets.
type countingWriter struct {
	mu     sync.Mutex
	writes []string
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// TestLineBufferKeepsLinesWhole: lines written from many goroutines all
// arrive, each whole and once, in fewer writes than lines; a line larger
// than the buffer goes out at once; Close writes what is kept.
func TestLineBufferKeepsLinesWhole(t *testing.T) {
	w := &countingWriter{}
	b := newLineBuffer(w, 1024, time.Hour) // only size and Close flush here
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				fmt.Fprintf(b, "{\"g\":%d,\"i\":%d,\"pad\":%q}\n", g, i, strings.Repeat("x", i%50))
			}
		}()
	}
	wg.Wait()
	big := "{\"big\":\"" + strings.Repeat("y", 3000) + "\"}\n"
	if _, err := b.Write([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, wr := range w.writes {
		if !strings.HasSuffix(wr, "\n") {
			t.Fatalf("a write ends inside a line: %q", wr[max(0, len(wr)-40):])
		}
		if len(wr) > 1024 && wr != big {
			t.Fatalf("a write of %d bytes from a 1,024-byte buffer", len(wr))
		}
		for _, line := range strings.SplitAfter(wr, "\n") {
			if line != "" {
				seen[line]++
			}
		}
	}
	if len(seen) != 8*200+1 {
		t.Fatalf("%d distinct lines arrived, want %d", len(seen), 8*200+1)
	}
	for line, n := range seen {
		if n != 1 {
			t.Fatalf("line %q arrived %d times", line, n)
		}
	}
	if len(w.writes) >= 8*200 {
		t.Fatalf("%d writes for %d lines: nothing was gathered", len(w.writes), 8*200+1)
	}
}

// TestLineBufferFlushesOnItsOwn: a kept line is written without Close by
// the periodic flush (the test waits for it, however long it takes).
func TestLineBufferFlushesOnItsOwn(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	b := newLineBuffer(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	}), 1024, time.Millisecond)
	defer b.Close()
	if _, err := b.Write([]byte("line\n")); err != nil {
		t.Fatal(err)
	}
	for {
		mu.Lock()
		got := out.String()
		mu.Unlock()
		if got == "line\n" {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
