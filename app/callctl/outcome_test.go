package callctl

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		e    Ending
		want string
	}{
		// The rows of the traces' README table.
		{"answered, FS sent BYE", Ending{Answered: true, HangupCause: "NORMAL_CLEARING"}, OutcomeAnswered},
		{"busy 486", Ending{HangupCause: "USER_BUSY", SIPStatus: 486}, OutcomeBusy},
		{"rejected 603", Ending{HangupCause: "CALL_REJECTED", SIPStatus: 603}, OutcomeRejected},
		{"not found 404", Ending{HangupCause: "UNALLOCATED_NUMBER", SIPStatus: 404}, OutcomeInvalidNumber},
		{"unavailable 503", Ending{HangupCause: "NORMAL_TEMPORARY_FAILURE", SIPStatus: 503}, OutcomeCarrierError},
		{"no answer, FS cancelled", Ending{HangupCause: "NO_ANSWER"}, OutcomeNoAnswer},
		{"early media then 480", Ending{HangupCause: "NO_USER_RESPONSE", SIPStatus: 480}, OutcomeNoAnswer},
		{"early media said powered off", Ending{HangupCause: "NO_USER_RESPONSE", SIPStatus: 480, EarlyMedia: OutcomePoweredOff}, OutcomePoweredOff},
		{"answered beats early media", Ending{Answered: true, EarlyMedia: OutcomeBusy}, OutcomeAnswered},
		{"484 with an odd cause", Ending{HangupCause: "NORMAL_CLEARING", SIPStatus: 484}, OutcomeInvalidNumber},
		{"410 number changed", Ending{HangupCause: "NUMBER_CHANGED", SIPStatus: 410}, OutcomeInvalidNumber},
		{"unknown 5xx", Ending{HangupCause: "SOMETHING", SIPStatus: 502}, OutcomeCarrierError},
		{"subscriber absent", Ending{HangupCause: "SUBSCRIBER_ABSENT"}, OutcomeUnreachable},
		{"we cancelled", Ending{HangupCause: "ORIGINATOR_CANCEL"}, OutcomeCanceled},
		{"nothing known", Ending{}, OutcomeFailed},
	}
	for _, c := range cases {
		if got := Classify(c.e, nil); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestCarrierOverridesWin(t *testing.T) {
	// A carrier that answers powered-off numbers with 480 and no announcement.
	rules := []OutcomeRule{{SIP: 480, Outcome: OutcomePoweredOff}}
	if got := Classify(Ending{HangupCause: "NO_USER_RESPONSE", SIPStatus: 480}, rules); got != OutcomePoweredOff {
		t.Fatalf("override: %s", got)
	}
	// Rules naming both need both.
	rules = []OutcomeRule{{Cause: "NORMAL_TEMPORARY_FAILURE", SIP: 503, Outcome: OutcomeUnreachable}}
	if got := Classify(Ending{HangupCause: "NORMAL_TEMPORARY_FAILURE", SIPStatus: 500}, rules); got != OutcomeCarrierError {
		t.Fatalf("partial match used: %s", got)
	}
}

func TestParseSIPStatus(t *testing.T) {
	for in, want := range map[string]int{"486": 486, "": 0, "abc": 0, "99": 0, " 603 ": 603} {
		if got := ParseSIPStatus(in); got != want {
			t.Errorf("%q: %d", in, got)
		}
	}
}
