package callctl

import (
	"strconv"
	"strings"
)

// Outcomes of a call attempt, as campaigns and results show them.
const (
	OutcomeAnswered      = "answered"
	OutcomeBusy          = "busy"
	OutcomeNoAnswer      = "no_answer"
	OutcomeRejected      = "rejected"
	OutcomeInvalidNumber = "invalid_number"
	OutcomeUnreachable   = "unreachable"
	OutcomePoweredOff    = "powered_off"
	OutcomeCarrierError  = "carrier_error"
	OutcomeCanceled      = "canceled"
	OutcomeFailed        = "failed" // waihu or FreeSWITCH could not place the call
)

// Ending is what is known when a call ends.
type Ending struct {
	Answered bool
	// HangupCause is FreeSWITCH's cause name (Hangup-Cause); SIPStatus its
	// sip_term_status (absent, 0, when FreeSWITCH itself ended the call).
	HangupCause string
	SIPStatus   int
	// EarlyMedia is the early-media classifier's verdict (an outcome, or "").
	EarlyMedia string
}

// OutcomeRule maps a cause and/or SIP status to an outcome. Empty fields
// match anything; a rule with both set needs both.
type OutcomeRule struct {
	Cause   string `json:"cause,omitempty"`
	SIP     int    `json:"sip,omitempty"`
	Outcome string `json:"outcome"`
}

// DefaultOutcomeRules follow Q.850 cause names as FreeSWITCH reports them
// (switch_channel.c's cause table) and SIP final responses (RFC 3261 §21);
// the traces in esl/testdata show USER_BUSY/486, CALL_REJECTED/603,
// UNALLOCATED_NUMBER/404, NORMAL_TEMPORARY_FAILURE/503 and NO_ANSWER with
// no sip_term_status when FreeSWITCH cancelled at originate_timeout.
// SIP statuses are checked before causes: carriers disagree on causes more
// than on statuses.
var DefaultOutcomeRules = []OutcomeRule{
	{SIP: 486, Outcome: OutcomeBusy},
	{SIP: 600, Outcome: OutcomeBusy},
	{SIP: 603, Outcome: OutcomeRejected},
	{SIP: 403, Outcome: OutcomeRejected},
	{SIP: 404, Outcome: OutcomeInvalidNumber},
	{SIP: 410, Outcome: OutcomeInvalidNumber},
	{SIP: 484, Outcome: OutcomeInvalidNumber},
	{SIP: 604, Outcome: OutcomeInvalidNumber},
	{SIP: 480, Outcome: OutcomeNoAnswer},
	{SIP: 408, Outcome: OutcomeNoAnswer},
	{SIP: 487, Outcome: OutcomeNoAnswer},
	{Cause: "USER_BUSY", Outcome: OutcomeBusy},
	{Cause: "CALL_REJECTED", Outcome: OutcomeRejected},
	{Cause: "UNALLOCATED_NUMBER", Outcome: OutcomeInvalidNumber},
	{Cause: "NO_ROUTE_DESTINATION", Outcome: OutcomeInvalidNumber},
	{Cause: "INVALID_NUMBER_FORMAT", Outcome: OutcomeInvalidNumber},
	{Cause: "NUMBER_CHANGED", Outcome: OutcomeInvalidNumber},
	{Cause: "NO_ANSWER", Outcome: OutcomeNoAnswer},
	{Cause: "NO_USER_RESPONSE", Outcome: OutcomeNoAnswer},
	{Cause: "ALLOTTED_TIMEOUT", Outcome: OutcomeNoAnswer},
	{Cause: "SUBSCRIBER_ABSENT", Outcome: OutcomeUnreachable},
	{Cause: "ORIGINATOR_CANCEL", Outcome: OutcomeCanceled},
	{Cause: "LOSE_RACE", Outcome: OutcomeCanceled},
	{Cause: "MANAGER_REQUEST", Outcome: OutcomeCanceled},
	{Cause: "NORMAL_TEMPORARY_FAILURE", Outcome: OutcomeCarrierError},
	{Cause: "NETWORK_OUT_OF_ORDER", Outcome: OutcomeCarrierError},
	{Cause: "DESTINATION_OUT_OF_ORDER", Outcome: OutcomeCarrierError},
	{Cause: "NORMAL_CIRCUIT_CONGESTION", Outcome: OutcomeCarrierError},
	{Cause: "SWITCH_CONGESTION", Outcome: OutcomeCarrierError},
	{Cause: "RECOVERY_ON_TIMER_EXPIRE", Outcome: OutcomeCarrierError},
	{Cause: "GATEWAY_DOWN", Outcome: OutcomeCarrierError},
	{Cause: "SERVICE_UNAVAILABLE", Outcome: OutcomeCarrierError},
	{Cause: "INCOMPATIBLE_DESTINATION", Outcome: OutcomeCarrierError},
	{Cause: "BEARERCAPABILITY_NOTAVAIL", Outcome: OutcomeCarrierError},
	{Cause: "FACILITY_NOT_SUBSCRIBED", Outcome: OutcomeCarrierError},
	{Cause: "CHAN_NOT_IMPLEMENTED", Outcome: OutcomeFailed},
}

// Classify decides an ending's outcome. An answered call is answered
// whatever the cause; otherwise the early-media verdict (an announcement
// said "powered off") beats causes, because carriers often end such calls
// with a generic 480 or 503. carrierRules (the operator's per-carrier
// overrides) are tried before the defaults.
func Classify(e Ending, carrierRules []OutcomeRule) string {
	if e.Answered {
		return OutcomeAnswered
	}
	if e.EarlyMedia != "" {
		return e.EarlyMedia
	}
	for _, rules := range [][]OutcomeRule{carrierRules, DefaultOutcomeRules} {
		if o := match(rules, e, true); o != "" {
			return o
		}
	}
	for _, rules := range [][]OutcomeRule{carrierRules, DefaultOutcomeRules} {
		if o := match(rules, e, false); o != "" {
			return o
		}
	}
	if e.SIPStatus >= 500 {
		return OutcomeCarrierError
	}
	return OutcomeFailed
}

// match tries the rules that name a SIP status (bySIP) or only a cause.
func match(rules []OutcomeRule, e Ending, bySIP bool) string {
	cause := strings.ToUpper(e.HangupCause)
	for _, r := range rules {
		if bySIP != (r.SIP != 0) {
			continue
		}
		if r.SIP != 0 && r.SIP != e.SIPStatus {
			continue
		}
		if r.Cause != "" && !strings.EqualFold(r.Cause, cause) {
			continue
		}
		if r.SIP == 0 && r.Cause == "" {
			continue
		}
		return r.Outcome
	}
	return ""
}

// ParseSIPStatus reads sip_term_status ("486"), returning 0 when absent.
func ParseSIPStatus(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 100 || n > 699 {
		return 0
	}
	return n
}
