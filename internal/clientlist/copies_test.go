package clientlist

import "testing"

// The copies held stay within maxCopyBytes by dropping the ones read least
// recently; a newer copy of an agency replaces its older one, never the
// other way round, and a copy of the same version gives way to the one
// held (so that concurrent requests share its sorted orders).
func TestCopiesDropTheLeastRecentlyRead(t *testing.T) {
	defer func(n int) { maxCopyBytes = n }(maxCopyBytes)
	maxCopyBytes = 300
	var c copies
	mk := func(v int64) *listCopy { return &listCopy{rows: v, bytes: 100} }
	c.put("a", mk(1))
	c.put("b", mk(1))
	c.put("c", mk(1))
	c.get("a") // b is now the least recently read
	c.put("d", mk(1))
	if c.get("b") != nil || c.get("a") == nil || c.get("c") == nil || c.get("d") == nil || c.bytes != 300 {
		t.Fatalf("after a fourth copy: held %v, %d bytes", c.m, c.bytes)
	}
	x := mk(2)
	if got := c.put("a", x); got != x || c.get("a") != x {
		t.Fatal("a newer copy did not replace the older one")
	}
	older := mk(1)
	if got := c.put("a", older); got != older || c.get("a") != x {
		t.Fatal("an older copy replaced a newer one")
	}
	if got := c.put("a", mk(2)); got != x {
		t.Fatal("a copy of the same version did not give way to the one held")
	}
	big := &listCopy{rows: 1, bytes: 1000}
	if c.put("e", big) != big || c.get("e") != big || len(c.m) != 1 || c.bytes != 1000 {
		t.Fatalf("a copy larger than the budget: held %d copies, %d bytes", len(c.m), c.bytes)
	}
}
