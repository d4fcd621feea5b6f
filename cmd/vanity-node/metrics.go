package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanitydb/vanity/node"
)

// nodeMetrics exports what a storage node does and owes (its replication
// debt) to Prometheus: the coordinator's runs, anti-entropy and read
// repairs, partitions by state, and the hints kept for each peer. Each is
// read from the node's own counters when scraped.
type nodeMetrics struct {
	svc       *node.Service
	hints     *prometheus.Desc
	hintCount *prometheus.Desc
	parts     *prometheus.Desc
}

func newNodeMetrics(svc *node.Service) []prometheus.Collector {
	counter := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "vanity", Name: name, Help: help},
			func() float64 { return float64(v()) })
	}
	st := svc.Coordinator().Stats()
	ss := svc.Serial()
	rounds := func(phase string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "vanity", Name: "node_serial_rounds_total",
			Help:        "Serial rounds this node's proposer began, by phase: prepare, accept (of which standing: an Accept on a standing promise, no Prepare before it), peek (a read's), and refused (rounds refused, each backing off to prepare again).",
			ConstLabels: prometheus.Labels{"phase": phase}}, func() float64 { return float64(v()) })
	}
	resent := func(o node.ResentOutcome) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "vanity", Name: "node_serial_resent_total",
			Help:        "Serial writes a router sent again to this node after their first sending's fate was lost, by outcome: answered (the key's record listed the write: its first reply), ran (the record reached back to the first sending without listing it, so no sending had run it: it ran here), not_confirmed (neither: its fate is unknown), failed (refused or failed otherwise, not run here).",
			ConstLabels: prometheus.Labels{"outcome": o.String()}}, func() float64 { return float64(ss.Resent[o].Load()) })
	}
	es := svc.EntropyStats
	return []prometheus.Collector{
		&nodeMetrics{
			svc: svc,
			hints: prometheus.NewDesc("vanity_hints_pending_bytes",
				"Bytes of writes kept for a replica that did not take them (hinted hand-off), by replica.", []string{"replica"}, nil),
			hintCount: prometheus.NewDesc("vanity_hints_pending",
				"Writes kept for a replica that did not take them (hinted hand-off), by replica.", []string{"replica"}, nil),
			parts: prometheus.NewDesc("vanity_partitions",
				"Partitions this node holds, by state: serving, catching_up (after a restart), handed_off (kept until the new owner confirms).",
				[]string{"state"}, nil),
		},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "vanity", Name: "partitions_moving",
			Help: "Partitions this node sees moving: their holders are not their replica set by the ring (a member joined or left, or a restarted replica not yet seen serving). A SERIAL command there needs a majority of both, so wait for 0 on every node before stopping another during a rolling restart."},
			func() float64 { return float64(svc.Moving()) }),
		counter("node_runs_total", "Runs of commands this node coordinated (a router turn's commands for it).", st.Runs.Load),
		counter("node_commands_total", "Commands this node coordinated.", st.Commands.Load),
		counter("node_quorum_reads_total", "Reads that asked other replicas (QUORUM or ALL).", st.QuorumReads.Load),
		counter("node_replica_sends_total", "Batches of writes sent to other replicas.", st.Sends.Load),
		counter("node_serial_upgrades_total", "Commands of ordinary (QUORUM, ONE) runs sent on the serial path because they write, or follow a write to, a key an acceptor here promised for.", svc.SerialUpgrades),
		rounds("prepare", ss.Prepares.Load),
		rounds("accept", ss.Accepts.Load),
		rounds("standing", ss.Standing.Load),
		rounds("peek", ss.Peeks.Load),
		rounds("refused", ss.Refused.Load),
		counter("node_serial_vote_calls_total", "Calls of other nodes' proposers this node voted on as an acceptor (each one fsync at most; calls of Learns alone are not counted).", ss.VoteCalls.Load),
		counter("node_serial_vote_phases_total", "Phases those calls carried: over node_serial_vote_calls_total, how full the rounds are.", ss.VotePhases.Load),
		counter("node_serial_learns_total", "Chosen proposals this node's rounds sent as Learns to the acceptors they did not ask (a round asks a bare majority first).", ss.Learns.Load),
		counter("node_serial_slow_peers_total", "Times this node's serial rounds found a peer failing or slower than the round's hedge; such a peer is asked after the others for a second (a router's digest read of a key just written may then need a second trip).", ss.SlowPeers.Load),
		resent(node.ResentAnswered),
		resent(node.ResentRan),
		resent(node.ResentNotConfirmed),
		resent(node.ResentFailed),
		counter("node_serial_folded_total", "Serial writes folded into the proposal of an earlier write of the same run on their key (one Accept for them all).", ss.Folded.Load),
		counter("antientropy_rounds_total", "Partitions compared with a peer by anti-entropy.", func() int64 { return es().Rounds }),
		counter("antientropy_repaired_total", "Of those, partitions whose copies differed and were repaired.", func() int64 { return es().Repaired }),
		counter("antientropy_keys_total", "Key states received from peers by anti-entropy.", func() int64 { return es().Keys }),
		counter("tombstones_purged_total", "Tombstones purged once every replica had them.", func() int64 { return es().Purged }),
		counter("read_repairs_total", "Replicas sent the joined state after a read found them behind.", func() int64 { return es().ReadRepairs }),
	}
}

func (m *nodeMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.hints
	ch <- m.hintCount
	ch <- m.parts
}

func (m *nodeMetrics) Collect(ch chan<- prometheus.Metric) {
	if h := m.svc.Hints(); h != nil {
		for _, r := range h.Replicas() {
			ch <- prometheus.MustNewConstMetric(m.hints, prometheus.GaugeValue, float64(h.Pending(r)), r)
			ch <- prometheus.MustNewConstMetric(m.hintCount, prometheus.GaugeValue, float64(h.PendingCount(r)), r)
		}
	}
	serving, catching, handed := m.svc.Node().PartitionStates()
	ch <- prometheus.MustNewConstMetric(m.parts, prometheus.GaugeValue, float64(serving), "serving")
	ch <- prometheus.MustNewConstMetric(m.parts, prometheus.GaugeValue, float64(catching), "catching_up")
	ch <- prometheus.MustNewConstMetric(m.parts, prometheus.GaugeValue, float64(handed), "handed_off")
}
