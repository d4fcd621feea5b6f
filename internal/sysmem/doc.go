// Package sysmem knows how much memory the process may use: the machine's
// (or its control group's, when that is smaller), and a memory limit
// given as bytes, as a size with a unit, or as a share of that
// (--max-memory).
package sysmem
