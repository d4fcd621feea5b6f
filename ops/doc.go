// Package ops holds the files for running Vanity as a service (systemd
// units, a container file, a Grafana dashboard, Prometheus alert rules);
// it has no code. Its tests check the units' command lines and the
// container file against the binaries, and draw docs/architecture.svg
// from the description in diagram_test.go.
package ops
