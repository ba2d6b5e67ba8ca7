package esl

import (
	"strconv"
	"strings"
	"time"
)

// Event names call control uses (switch_event.c EVENT_NAMES).
const (
	EvChannelOutgoing       = "CHANNEL_OUTGOING"
	EvChannelCreate         = "CHANNEL_CREATE"
	EvChannelProgress       = "CHANNEL_PROGRESS"
	EvChannelProgressMedia  = "CHANNEL_PROGRESS_MEDIA"
	EvChannelAnswer         = "CHANNEL_ANSWER"
	EvChannelHangup         = "CHANNEL_HANGUP"
	EvChannelHangupComplete = "CHANNEL_HANGUP_COMPLETE"
	EvChannelDestroy        = "CHANNEL_DESTROY"
	EvChannelExecute        = "CHANNEL_EXECUTE"
	EvChannelExecuteDone    = "CHANNEL_EXECUTE_COMPLETE"
	EvChannelPark           = "CHANNEL_PARK"
	EvChannelData           = "CHANNEL_DATA"
	EvDTMF                  = "DTMF"
	EvBackgroundJob         = "BACKGROUND_JOB"
	EvHeartbeat             = "HEARTBEAT"
	EvCustom                = "CUSTOM"
)

// Channel holds the headers every channel event carries
// (switch_channel_event_set_basic_data in switch_channel.c) and that call
// control reads.
type Channel struct {
	Name          string // Event-Name
	UUID          string // Unique-ID
	CoreUUID      string // Core-UUID: identifies the FreeSWITCH process (changes on restart)
	Sequence      int64  // Event-Sequence
	Timestamp     time.Time
	ChannelName   string // Channel-Name, e.g. sofia/gateway/waihu_3/013800138000
	ChannelState  string // Channel-State, CS_*
	CallState     string // Channel-Call-State: DOWN, RINGING, EARLY, ACTIVE, HANGUP
	AnswerState   string // Answer-State: ringing, early, answered, hangup
	Direction     string // Call-Direction
	CallerNumber  string // Caller-Caller-ID-Number
	CalleeNumber  string // Caller-Destination-Number
	AttemptUUID   string // variable_waihu_attempt (set by call control in originate)
	TenantID      string // variable_waihu_tenant
	OriginateUUID string // variable_origination_uuid
	ev            *Event
}

// Event returns the raw event behind the view.
func (c *Channel) Event() *Event { return c.ev }

// Var reads any channel variable from the underlying event.
func (c *Channel) Var(name string) string { return c.ev.Var(name) }

func channelOf(e *Event) Channel {
	return Channel{
		Name:          e.Name(),
		UUID:          e.UUID(),
		CoreUUID:      e.Get("Core-UUID"),
		Sequence:      e.Int("Event-Sequence"),
		Timestamp:     e.Timestamp(),
		ChannelName:   e.Get("Channel-Name"),
		ChannelState:  e.Get("Channel-State"),
		CallState:     e.Get("Channel-Call-State"),
		AnswerState:   e.Get("Answer-State"),
		Direction:     e.Get("Call-Direction"),
		CallerNumber:  e.Get("Caller-Caller-ID-Number"),
		CalleeNumber:  e.Get("Caller-Destination-Number"),
		AttemptUUID:   e.Var("waihu_attempt"),
		TenantID:      e.Var("waihu_tenant"),
		OriginateUUID: e.Var("origination_uuid"),
		ev:            e,
	}
}

// Typed views, one per event call control handles. The embedded Channel is
// always filled; the extra fields are the ones the outcome mapping reads.
type (
	ChannelOutgoing      struct{ Channel }
	ChannelCreate        struct{ Channel }
	ChannelProgress      struct{ Channel }
	ChannelProgressMedia struct{ Channel }
	ChannelAnswer        struct{ Channel }
	ChannelPark          struct{ Channel }
	ChannelDestroy       struct{ Channel }
	// ChannelData is the outbound socket's `connect` reply.
	ChannelData struct{ Channel }
	// ChannelOther is any other channel-level event (CHANNEL_STATE,
	// CHANNEL_CALLSTATE, CODEC …): the common headers only.
	ChannelOther struct{ Channel }
)

// ChannelHangup is CHANNEL_HANGUP and CHANNEL_HANGUP_COMPLETE.
type ChannelHangup struct {
	Channel
	Complete bool   // CHANNEL_HANGUP_COMPLETE
	Cause    string // Hangup-Cause (first value; HANGUP_COMPLETE carries it twice, same value)
	// SIPTermStatus is variable_sip_term_status; SIPTermStatusSet is false
	// when the header is absent, which the traces show for calls FreeSWITCH
	// itself ended (its own BYE, or CANCEL on originate_timeout).
	SIPTermStatus          string
	SIPTermStatusSet       bool
	SIPHangupDisposition   string // variable_sip_hangup_disposition: recv_refuse, send_bye, send_cancel …
	SIPInviteFailureStatus string // variable_sip_invite_failure_status (487 on no-answer CANCEL)
	SIPInviteFailurePhrase string // variable_sip_invite_failure_phrase
	ProtoSpecificCause     string // variable_proto_specific_hangup_cause, e.g. sip:486
	EndpointDisposition    string // variable_endpoint_disposition: ANSWER, EARLY MEDIA …
	HangupCauseQ850        int    // variable_hangup_cause_q850
	BillSec                int64  // variable_billsec (HANGUP_COMPLETE)
	Duration               int64  // variable_duration
	AnswerSec              int64  // variable_answersec
	ProgressMediaSec       int64  // variable_progress_mediasec
}

// ChannelExecute is CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE.
type ChannelExecute struct {
	Channel
	Complete            bool
	Application         string // Application
	ApplicationData     string // Application-Data
	ApplicationResponse string // Application-Response (COMPLETE only), e.g. FILE PLAYED, _none_
	ApplicationUUID     string // Application-UUID: the Event-UUID we sent with sendmsg execute
}

// DTMF is a DTMF event.
type DTMF struct {
	Channel
	Digit    string // DTMF-Digit
	Duration int64  // DTMF-Duration (samples)
	Source   string // DTMF-Source: RTP, INBAND …
}

// BackgroundJob is the BACKGROUND_JOB answer to a bgapi (mod_event_socket.c
// api_exec). Body is "+OK <text>\n" or "-ERR <cause>\n".
type BackgroundJob struct {
	JobUUID    string // Job-UUID
	Command    string // Job-Command
	CommandArg string // Job-Command-Arg
	Body       string
	OK         bool   // body starts with +OK
	Result     string // body without the +OK/-ERR prefix and trailing newline
	ev         *Event
}

// Event returns the raw event.
func (b *BackgroundJob) Event() *Event { return b.ev }

// Heartbeat is the HEARTBEAT event (switch_core.c send_heartbeat), the
// node health signal.
type Heartbeat struct {
	CoreUUID           string
	Hostname           string // FreeSWITCH-Hostname
	Version            string // FreeSWITCH-Version
	UptimeMsec         int64  // Uptime-msec
	SessionCount       int64  // Session-Count: live sessions now
	MaxSessions        int64  // Max-Sessions
	SessionPerSec      int64  // Session-Per-Sec: the configured cap
	SessionPerSecLast  int64  // Session-Per-Sec-Last
	SessionPerSecMax   int64  // Session-Per-Sec-Max
	SessionSinceStart  int64  // Session-Since-Startup
	SessionPeakMax     int64  // Session-Peak-Max
	SessionPeakFiveMin int64  // Session-Peak-FiveMin
	IdleCPU            float64
	Timestamp          time.Time
	ev                 *Event
}

// Event returns the raw event.
func (h *Heartbeat) Event() *Event { return h.ev }

// Custom is a CUSTOM event (mod_audio_stream::json, sofia::register …).
type Custom struct {
	Channel
	Subclass string // Event-Subclass
	Body     string
}

// Typed returns a typed view of the event: *ChannelOutgoing, *ChannelCreate,
// *ChannelProgress, *ChannelProgressMedia, *ChannelAnswer, *ChannelHangup,
// *ChannelExecute, *DTMF, *BackgroundJob, *Heartbeat, *Custom, *ChannelPark,
// *ChannelDestroy, *ChannelData, or *ChannelOther for any other event that
// names a channel; nil for the rest.
func (e *Event) Typed() any {
	switch e.Name() {
	case EvChannelOutgoing:
		return &ChannelOutgoing{channelOf(e)}
	case EvChannelCreate:
		return &ChannelCreate{channelOf(e)}
	case EvChannelProgress:
		return &ChannelProgress{channelOf(e)}
	case EvChannelProgressMedia:
		return &ChannelProgressMedia{channelOf(e)}
	case EvChannelAnswer:
		return &ChannelAnswer{channelOf(e)}
	case EvChannelPark:
		return &ChannelPark{channelOf(e)}
	case EvChannelDestroy:
		return &ChannelDestroy{channelOf(e)}
	case EvChannelData:
		return &ChannelData{channelOf(e)}
	case EvChannelHangup, EvChannelHangupComplete:
		h, _ := e.AsHangup()
		return h
	case EvChannelExecute, EvChannelExecuteDone:
		x, _ := e.AsExecute()
		return x
	case EvDTMF:
		d, _ := e.AsDTMF()
		return d
	case EvBackgroundJob:
		b, _ := e.AsBackgroundJob()
		return b
	case EvHeartbeat:
		h, _ := e.AsHeartbeat()
		return h
	case EvCustom:
		return &Custom{Channel: channelOf(e), Subclass: e.Subclass(), Body: e.Body}
	}
	if e.UUID() != "" {
		return &ChannelOther{channelOf(e)}
	}
	return nil
}

// AsHangup views CHANNEL_HANGUP / CHANNEL_HANGUP_COMPLETE.
func (e *Event) AsHangup() (*ChannelHangup, bool) {
	n := e.Name()
	if n != EvChannelHangup && n != EvChannelHangupComplete {
		return nil, false
	}
	q850, _ := strconv.Atoi(e.Var("hangup_cause_q850"))
	return &ChannelHangup{
		Channel:                channelOf(e),
		Complete:               n == EvChannelHangupComplete,
		Cause:                  e.Get("Hangup-Cause"),
		SIPTermStatus:          e.Var("sip_term_status"),
		SIPTermStatusSet:       e.Has("variable_sip_term_status"),
		SIPHangupDisposition:   e.Var("sip_hangup_disposition"),
		SIPInviteFailureStatus: e.Var("sip_invite_failure_status"),
		SIPInviteFailurePhrase: e.Var("sip_invite_failure_phrase"),
		ProtoSpecificCause:     e.Var("proto_specific_hangup_cause"),
		EndpointDisposition:    e.Var("endpoint_disposition"),
		HangupCauseQ850:        q850,
		BillSec:                e.Int("variable_billsec"),
		Duration:               e.Int("variable_duration"),
		AnswerSec:              e.Int("variable_answersec"),
		ProgressMediaSec:       e.Int("variable_progress_mediasec"),
	}, true
}

// AsExecute views CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE.
func (e *Event) AsExecute() (*ChannelExecute, bool) {
	n := e.Name()
	if n != EvChannelExecute && n != EvChannelExecuteDone {
		return nil, false
	}
	return &ChannelExecute{
		Channel:             channelOf(e),
		Complete:            n == EvChannelExecuteDone,
		Application:         e.Get("Application"),
		ApplicationData:     e.Get("Application-Data"),
		ApplicationResponse: e.Get("Application-Response"),
		ApplicationUUID:     e.Get("Application-UUID"),
	}, true
}

// AsDTMF views a DTMF event.
func (e *Event) AsDTMF() (*DTMF, bool) {
	if e.Name() != EvDTMF {
		return nil, false
	}
	return &DTMF{Channel: channelOf(e), Digit: e.Get("DTMF-Digit"), Duration: e.Int("DTMF-Duration"), Source: e.Get("DTMF-Source")}, true
}

// AsBackgroundJob views BACKGROUND_JOB.
func (e *Event) AsBackgroundJob() (*BackgroundJob, bool) {
	if e.Name() != EvBackgroundJob {
		return nil, false
	}
	ok, result := splitReply(e.Body)
	return &BackgroundJob{
		JobUUID:    e.Get("Job-UUID"),
		Command:    e.Get("Job-Command"),
		CommandArg: e.Get("Job-Command-Arg"),
		Body:       e.Body,
		OK:         ok,
		Result:     result,
		ev:         e,
	}, true
}

// AsHeartbeat views HEARTBEAT.
func (e *Event) AsHeartbeat() (*Heartbeat, bool) {
	if e.Name() != EvHeartbeat {
		return nil, false
	}
	idle, _ := strconv.ParseFloat(e.Get("Idle-CPU"), 64)
	return &Heartbeat{
		CoreUUID:           e.Get("Core-UUID"),
		Hostname:           e.Get("FreeSWITCH-Hostname"),
		Version:            e.Get("FreeSWITCH-Version"),
		UptimeMsec:         e.Int("Uptime-msec"),
		SessionCount:       e.Int("Session-Count"),
		MaxSessions:        e.Int("Max-Sessions"),
		SessionPerSec:      e.Int("Session-Per-Sec"),
		SessionPerSecLast:  e.Int("Session-Per-Sec-Last"),
		SessionPerSecMax:   e.Int("Session-Per-Sec-Max"),
		SessionSinceStart:  e.Int("Session-Since-Startup"),
		SessionPeakMax:     e.Int("Session-Peak-Max"),
		SessionPeakFiveMin: e.Int("Session-Peak-FiveMin"),
		IdleCPU:            idle,
		Timestamp:          e.Timestamp(),
		ev:                 e,
	}, true
}

// AsCustom views a CUSTOM event.
func (e *Event) AsCustom() (*Custom, bool) {
	if e.Name() != EvCustom {
		return nil, false
	}
	return &Custom{Channel: channelOf(e), Subclass: e.Subclass(), Body: e.Body}, true
}

// splitReply splits "+OK text\n" / "-ERR cause\n" (the shape of api bodies,
// BACKGROUND_JOB bodies and Reply-Text in mod_event_socket.c).
func splitReply(s string) (ok bool, rest string) {
	s = strings.TrimRight(s, "\r\n")
	switch {
	case strings.HasPrefix(s, "+OK"):
		return true, strings.TrimSpace(s[3:])
	case strings.HasPrefix(s, "-ERR"):
		return false, strings.TrimSpace(s[4:])
	case strings.HasPrefix(s, "-USAGE"):
		return false, strings.TrimSpace(strings.TrimPrefix(s[6:], ":"))
	}
	return true, s
}
