// Package scripts holds the operator's scripts; scripts/cluster starts,
// breaks and stops a local cluster of real processes, and cluster_test.go
// drives it end to end.
package scripts
