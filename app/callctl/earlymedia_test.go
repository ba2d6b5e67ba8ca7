package callctl

import "testing"

func TestClassifyAnnouncement(t *testing.T) {
	cases := []struct {
		text, want string
	}{
		{"您拨打的电话已关机", OutcomePoweredOff},
		{"您拨打的电话，已关机。Sorry, the subscriber you dialed is powered off.", OutcomePoweredOff},
		{"您拨打的号码是空号，请查证后再拨", OutcomeInvalidNumber},
		{"您拨打的电话已停机", OutcomeInvalidNumber},
		{"您拨打的用户正在通话中，请稍后再拨", OutcomeBusy},
		{"您拨打的电话暂时无法接通", OutcomeUnreachable},
		{"The number you dialed is not in service", OutcomeInvalidNumber},
		{"the subscriber IS BUSY now", OutcomeBusy},
		{"", ""},
		{"嘟——嘟——", ""},
		{"欢迎致电，彩铃音乐", ""},
	}
	for _, c := range cases {
		if got := ClassifyAnnouncement(c.text, nil); got != c.want {
			t.Errorf("%q: got %q, want %q", c.text, got, c.want)
		}
	}
	// A carrier's override wins over the defaults.
	rules := []AnnouncementRule{{Phrase: "暂时无法接通", Outcome: OutcomePoweredOff}}
	if got := ClassifyAnnouncement("您拨打的电话暂时无法接通", rules); got != OutcomePoweredOff {
		t.Fatalf("override: %q", got)
	}
}
