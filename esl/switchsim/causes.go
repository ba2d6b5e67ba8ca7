package switchsim

// sipCause maps a SIP final status to the FreeSWITCH hangup cause, after
// sofia_glue_sip_cause_to_freeswitch (src/mod/endpoints/mod_sofia/sofia_glue.c).
func sipCause(status int) string {
	switch status {
	case 200:
		return "NORMAL_CLEARING"
	case 401, 402, 403, 407, 603, 608:
		return "CALL_REJECTED"
	case 404:
		return "UNALLOCATED_NUMBER"
	case 485, 604:
		return "NO_ROUTE_DESTINATION"
	case 408, 504:
		return "RECOVERY_ON_TIMER_EXPIRE"
	case 410:
		return "NUMBER_CHANGED"
	case 413, 414, 416, 420, 421, 423, 505, 513:
		return "INTERWORKING"
	case 480:
		return "NO_USER_RESPONSE"
	case 400, 481, 500, 503:
		return "NORMAL_TEMPORARY_FAILURE"
	case 486, 600:
		return "USER_BUSY"
	case 484:
		return "INVALID_NUMBER_FORMAT"
	case 488, 606:
		return "INCOMPATIBLE_DESTINATION"
	case 502:
		return "NETWORK_OUT_OF_ORDER"
	case 405:
		return "SERVICE_UNAVAILABLE"
	case 406, 415, 501:
		return "SERVICE_NOT_IMPLEMENTED"
	case 482, 483:
		return "EXCHANGE_ROUTING_ERROR"
	case 487:
		return "ORIGINATOR_CANCEL"
	default:
		return "NORMAL_UNSPECIFIED"
	}
}

// sipPhrase is the reason phrase a typical carrier sends (the traces:
// "Busy Here", "Decline", "Not Found", "Service Unavailable").
func sipPhrase(status int) string {
	switch status {
	case 404:
		return "Not Found"
	case 408:
		return "Request Timeout"
	case 410:
		return "Gone"
	case 480:
		return "Temporarily Unavailable"
	case 484:
		return "Address Incomplete"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 600:
		return "Busy Everywhere"
	case 603:
		return "Decline"
	default:
		return "Error"
	}
}

// q850 is the Q.850 number of a cause (switch_channel.c CAUSE_CHART).
var q850 = map[string]int{
	"UNSPECIFIED": 0, "UNALLOCATED_NUMBER": 1, "NO_ROUTE_TRANSIT_NET": 2, "NO_ROUTE_DESTINATION": 3,
	"NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19, "SUBSCRIBER_ABSENT": 20,
	"CALL_REJECTED": 21, "NUMBER_CHANGED": 22, "REDIRECTION_TO_NEW_DESTINATION": 23, "EXCHANGE_ROUTING_ERROR": 25,
	"DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28, "FACILITY_REJECTED": 29, "RESPONSE_TO_STATUS_ENQUIRY": 30,
	"NORMAL_UNSPECIFIED": 31, "NORMAL_CIRCUIT_CONGESTION": 34, "NETWORK_OUT_OF_ORDER": 38, "NORMAL_TEMPORARY_FAILURE": 41,
	"SWITCH_CONGESTION": 42, "REQUESTED_CHAN_UNAVAIL": 44, "SERVICE_UNAVAILABLE": 63, "SERVICE_NOT_IMPLEMENTED": 79,
	"INCOMPATIBLE_DESTINATION": 88, "INTERWORKING": 127, "ORIGINATOR_CANCEL": 487, "CHAN_NOT_IMPLEMENTED": 66,
	"SYSTEM_SHUTDOWN": 503, "MANAGER_REQUEST": 503, "RECOVERY_ON_TIMER_EXPIRE": 102, "ALLOTTED_TIMEOUT": 602,
	"INVALID_GATEWAY": 608, "GATEWAY_DOWN": 609, "INVALID_URL": 610, "INVALID_PROFILE": 611, "LOSE_RACE": 502,
}

// knownCause reports whether a cause string is one FreeSWITCH knows
// (switch_channel_str2cause); unknown strings become NORMAL_CLEARING there.
func knownCause(c string) bool { _, ok := q850[c]; return ok }
