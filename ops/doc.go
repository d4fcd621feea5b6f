// Package ops holds the files for running Vanity as a service (systemd
// units, a container file, a Grafana dashboard); it has no code. Its test
// checks the units' command lines against the binaries.
package ops
