package callctl

import (
	"strings"
	"unicode"
)

// Early media (空号识别): Chinese carriers answer a call to a dead, busy or
// switched-off number with a 183 and a recorded announcement instead of a
// SIP error, so the cause FreeSWITCH reports says little. waihu classifies
// the announcement in layers that each work alone:
//  1. FreeSWITCH's own tone checks, set on every originate
//     (monitor_early_media_fail / monitor_early_media_ring, see
//     switch_ivr_originate.c): SIT and busy tones end the call with a cause.
//  2. keywords in the recognizer's transcript of the early audio (below),
//  3. the operator's per-carrier overrides of both.

// AnnouncementRule maps a phrase heard in early media to an outcome.
type AnnouncementRule struct {
	Phrase  string `json:"phrase"`
	Outcome string `json:"outcome"`
}

// DefaultAnnouncementRules are the announcements of China Mobile, China
// Unicom and China Telecom as callers hear them, plus the common English
// intercept messages. Order matters: the first phrase found wins, so the
// more specific phrases come first (您拨打的电话已关机 contains neither 空号
// nor 通话中).
var DefaultAnnouncementRules = []AnnouncementRule{
	{Phrase: "已关机", Outcome: OutcomePoweredOff},
	{Phrase: "关机", Outcome: OutcomePoweredOff},
	{Phrase: "是空号", Outcome: OutcomeInvalidNumber},
	{Phrase: "空号", Outcome: OutcomeInvalidNumber},
	{Phrase: "不存在", Outcome: OutcomeInvalidNumber},
	{Phrase: "号码有误", Outcome: OutcomeInvalidNumber},
	{Phrase: "已停机", Outcome: OutcomeInvalidNumber},
	{Phrase: "停机", Outcome: OutcomeInvalidNumber},
	{Phrase: "正在通话中", Outcome: OutcomeBusy},
	{Phrase: "通话中", Outcome: OutcomeBusy},
	{Phrase: "正忙", Outcome: OutcomeBusy},
	{Phrase: "无法接通", Outcome: OutcomeUnreachable},
	{Phrase: "不在服务区", Outcome: OutcomeUnreachable},
	{Phrase: "暂时无法接听", Outcome: OutcomeUnreachable},
	{Phrase: "无人接听", Outcome: OutcomeNoAnswer},
	{Phrase: "switched off", Outcome: OutcomePoweredOff},
	{Phrase: "powered off", Outcome: OutcomePoweredOff},
	{Phrase: "not in service", Outcome: OutcomeInvalidNumber},
	{Phrase: "does not exist", Outcome: OutcomeInvalidNumber},
	{Phrase: "is busy", Outcome: OutcomeBusy},
	{Phrase: "cannot be reached", Outcome: OutcomeUnreachable},
	{Phrase: "not available", Outcome: OutcomeUnreachable},
}

// ClassifyAnnouncement returns the outcome an early-media transcript
// announces, or "" when it announces nothing known (ringback music, a
// colour ring tone 彩铃). Carrier rules are checked before the defaults.
func ClassifyAnnouncement(transcript string, carrierRules []AnnouncementRule) string {
	t := normalizeAnnouncement(transcript)
	if t == "" {
		return ""
	}
	for _, rules := range [][]AnnouncementRule{carrierRules, DefaultAnnouncementRules} {
		for _, r := range rules {
			p := normalizeAnnouncement(r.Phrase)
			if p != "" && strings.Contains(t, p) {
				return r.Outcome
			}
		}
	}
	return ""
}

// normalizeAnnouncement lowercases and drops spaces and punctuation, since
// recognizers differ in both ("您拨打的电话, 已关机。" vs "您拨打的电话已关机").
func normalizeAnnouncement(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else if r == ' ' && b.Len() > 0 {
			// Keep single spaces between Latin words so "is busy" still matches.
			if last := b.String(); last[len(last)-1] != ' ' {
				b.WriteByte(' ')
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// EarlyMediaToneVars are the channel variables that make FreeSWITCH itself
// end a call on the tones of a dead line (switch_ivr_originate.c reads
// monitor_early_media_fail as cause:count:tone+tone… and hangs up with that
// cause when it hears the tone count times). The SIT tone (913.8, 1370.6,
// 1776.7 Hz) marks an intercept announcement; China's busy tone is 450 Hz
// at 0.35 s on / 0.35 s off, which a ringback (450 Hz, 1 s on / 4 s off)
// does not match at count 3 within the cadence.
func EarlyMediaToneVars() map[string]string {
	return map[string]string{
		"monitor_early_media_fail": "destination_out_of_order:2:913.8+1370.6+1776.7",
	}
}
