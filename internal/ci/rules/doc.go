// Package rules holds no code: its tests check rules of the tree itself
// that the compiler does not (docs/ARCHITECTURE.md, "One owner per table"):
// which packages may import which, and which package writes each table.
package rules
