package campaign

import "testing"

func TestNormalizePhone(t *testing.T) {
	cases := []struct {
		in, want, tz, area, reason string
	}{
		{"13800138000", "+8613800138000", "Asia/Shanghai", "", ""},
		{"138-0013-8000", "+8613800138000", "Asia/Shanghai", "", ""},
		{"+86 138 0013 8000", "+8613800138000", "Asia/Shanghai", "", ""},
		{"0086 13800138000", "+8613800138000", "Asia/Shanghai", "", ""},
		{"8613800138000", "+8613800138000", "Asia/Shanghai", "", ""},
		{"１３８００１３８０００", "+8613800138000", "Asia/Shanghai", "", ""},
		{"010-12345678", "+861012345678", "Asia/Shanghai", "10", ""},
		{"0755 8888 6666", "+8675588886666", "Asia/Shanghai", "755", ""},
		{"+1 212 555 0123", "+12125550123", "America/New_York", "", ""},
		{"+44 20 7946 0958", "+442079460958", "Europe/London", "", ""},
		{"12345", "", "", "", ReasonInvalidPhone},
		{"10000000000", "", "", "", ReasonInvalidPhone},
		{"abc", "", "", "", ReasonInvalidPhone},
		{"", "", "", "", ReasonEmptyPhone},
		{"=HYPERLINK(\"x\")", "", "", "", ReasonInvalidPhone},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			n, reason := NormalizePhone(c.in)
			if reason != c.reason || n.E164 != c.want || n.TZ != c.tz || n.AreaCode != c.area {
				t.Fatalf("NormalizePhone(%q) = %+v %q, want %s %s %s %q", c.in, n, reason, c.want, c.tz, c.area, c.reason)
			}
		})
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		NormalizePhone("138" + string(rune('0'+i%10)) + "0138000")
	}
}
