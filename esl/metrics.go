package esl

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the esl layer's Prometheus collectors. A nil *Metrics is valid
// and records nothing, so tests and tools need not care.
type Metrics struct {
	// EventLag is the time from reading an event off the socket to the
	// consumer taking it out of its per-call mailbox: the queueing delay
	// call control adds before it can react.
	EventLag prometheus.Histogram
	// CommandSeconds is the api/bgapi round trip (write to reply).
	CommandSeconds *prometheus.HistogramVec
	// Events counts events read, by Event-Name.
	Events *prometheus.CounterVec
	// Dropped counts frames read but not delivered, by reason
	// (unknown_content_type, bad_event, mailbox_overflow, unexpected_reply).
	Dropped *prometheus.CounterVec
	// Reconnects counts pool redials; ReplyTimeouts counts connections
	// closed because a reply did not come in time.
	Reconnects    prometheus.Counter
	ReplyTimeouts prometheus.Counter
}

// NewMetrics builds the collectors and registers them with reg when reg is
// not nil (registration errors panic, as prometheus.MustRegister does: a
// duplicate registration is a wiring bug).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		EventLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "waihu", Subsystem: "esl", Name: "event_lag_seconds",
			Help:    "Time from reading an ESL event to its consumer receiving it from the per-call mailbox.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
		CommandSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "waihu", Subsystem: "esl", Name: "command_seconds",
			Help:    "ESL command round trip from write to reply.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"kind"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "waihu", Subsystem: "esl", Name: "events_total",
			Help: "ESL events read, by Event-Name.",
		}, []string{"event"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "waihu", Subsystem: "esl", Name: "frames_dropped_total",
			Help: "ESL frames read but not delivered, by reason.",
		}, []string{"reason"}),
		Reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "waihu", Subsystem: "esl", Name: "reconnects_total",
			Help: "Inbound ESL connections redialed by the pool.",
		}),
		ReplyTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "waihu", Subsystem: "esl", Name: "reply_timeouts_total",
			Help: "ESL connections closed because a command reply did not arrive in time.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.EventLag, m.CommandSeconds, m.Events, m.Dropped, m.Reconnects, m.ReplyTimeouts)
	}
	return m
}

func (m *Metrics) lag(d time.Duration) {
	if m != nil {
		m.EventLag.Observe(d.Seconds())
	}
}

func (m *Metrics) command(kind string, d time.Duration) {
	if m != nil {
		m.CommandSeconds.WithLabelValues(kind).Observe(d.Seconds())
	}
}

// knownEvents bounds the label set of Events: anything else counts as OTHER.
var knownEvents = map[string]bool{
	EvChannelOutgoing: true, EvChannelCreate: true, EvChannelProgress: true, EvChannelProgressMedia: true,
	EvChannelAnswer: true, EvChannelHangup: true, EvChannelHangupComplete: true, EvChannelDestroy: true,
	EvChannelExecute: true, EvChannelExecuteDone: true, EvChannelPark: true, EvDTMF: true,
	EvBackgroundJob: true, EvHeartbeat: true, EvCustom: true, "CHANNEL_STATE": true, "CHANNEL_CALLSTATE": true,
}

func (m *Metrics) event(name string) {
	if m == nil {
		return
	}
	if !knownEvents[name] {
		name = "OTHER"
	}
	m.Events.WithLabelValues(name).Inc()
}

func (m *Metrics) drop(reason string) {
	if m != nil {
		m.Dropped.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) reconnect() {
	if m != nil {
		m.Reconnects.Inc()
	}
}

func (m *Metrics) replyTimeout() {
	if m != nil {
		m.ReplyTimeouts.Inc()
	}
}
