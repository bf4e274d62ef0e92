package clientlist

import (
	"fmt"
	"testing"
)

// TestChunkKeepsCountsWithoutSearch: a chunk remembers its counts without a
// search however many searches it counted since, and its last
// maxChunkCounts searches. A row's status is changed under the chunk (rows
// never change in a copy) to see whether a count walks the rows again or
// answers from memory. With eight searches remembered first in first out,
// the soak's ten words made every page count every chunk again (issue 23).
func TestChunkKeepsCountsWithoutSearch(t *testing.T) {
	c := &chunk{}
	for i := range 10 {
		m := &memRow{}
		m.ID, m.Status = fmt.Sprintf("acc_%02d", i), "active"
		m.search = fmt.Sprintf("name %02d", i)
		c.rows = append(c.rows, m)
	}
	if n := c.count("", false, false); n.Active != 10 {
		t.Fatalf("counted %+v, want 10 active", n)
	}
	if n := c.count("", true, true); n.Active != 0 {
		t.Fatalf("counted %+v with the enabled filter, want none", n)
	}
	for i := range 3 * maxChunkCounts {
		c.count(fmt.Sprintf("word %d", i), false, false)
	}
	c.rows[0].Status = "churned"
	if n := c.count("", false, false); n.Active != 10 {
		t.Errorf("the counts without a search were counted again (%+v) after %d searches", n, 3*maxChunkCounts)
	}
	if n := c.count("", true, true); n.Active != 0 || n.Churned != 0 {
		t.Errorf("the counts with the enabled filter were counted again (%+v)", n)
	}
	if n := c.count(fmt.Sprintf("word %d", 2*maxChunkCounts), false, false); n.All != 0 {
		t.Errorf("a recent search was counted again (%+v)", n)
	}
	if n := c.count("name 0", false, false); n.Churned != 1 {
		t.Errorf("a new search: %+v, want the changed row", n)
	}
	if held := len(*c.counts.Load()); held != maxChunkCounts+2 {
		t.Errorf("the chunk holds %d counts, want %d searches and 2 without", held, maxChunkCounts)
	}
}
