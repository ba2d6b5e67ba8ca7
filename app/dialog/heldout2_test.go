package dialog

import "testing"

// heldOut2 was written after the library was tuned against heldOut. Its
// first run scored 53/60 (88.3%); the library was then broadened while its
// misses were known, so it is no longer an unseen set (heldOut3 is).
var heldOut2 = []struct{ text, want string }{
	{"对对对，是本人", "affirm"}, {"可以啊你讲", "affirm"}, {"yes, go on", "affirm"},
	{"不不不", "deny"}, {"不是这样的", "deny"}, {"no, that's not right", "deny"},
	{"手上有事呢", "busy"}, {"正在开车，回头说", "busy"}, {"i'm really busy at the moment", "busy"},
	{"晚上再打吧", "call_later"}, {"明天再联系", "call_later"}, {"can you call me later today", "call_later"},
	{"您哪位", "ask_identity"}, {"你们哪家公司", "ask_identity"}, {"who am i speaking with", "ask_identity"},
	{"我电话号码你们哪来的", "ask_number_source"}, {"谁告诉你我号码的", "ask_number_source"}, {"how do you have my number", "ask_number_source"},
	{"没兴趣，谢谢", "not_interested"}, {"不用，我不需要这个", "not_interested"}, {"i'm not interested, thanks", "not_interested"},
	{"可以，你介绍一下", "interested"}, {"有点兴趣，发我看看", "interested"}, {"that sounds interesting, tell me more", "interested"},
	{"费用是多少", "ask_price"}, {"收费贵吗", "ask_price"}, {"what's the cost", "ask_price"},
	{"找个真人跟我说", "request_human"}, {"帮我转到人工客服", "request_human"}, {"i want to talk to a real person", "request_human"},
	{"你是不是录音", "ask_is_robot"}, {"你是AI机器人吧", "ask_is_robot"}, {"are you an automated system", "ask_is_robot"},
	{"我去12315投诉你们", "complaint"}, {"你们这样是骚扰，我要举报", "complaint"}, {"i'll report you for harassment", "complaint"},
	{"以后不要再打这个号码", "opt_out"}, {"把我拉黑吧别打了", "opt_out"}, {"please stop calling me", "opt_out"},
	{"你找错人了", "wrong_person"}, {"我不是他本人", "wrong_person"}, {"you've got the wrong number", "wrong_person"},
	{"啥？没听清楚", "ask_repeat"}, {"你说慢点我听不清", "ask_repeat"}, {"sorry, can you repeat that", "ask_repeat"},
	{"机主正忙，我是他的智能助理", "voice_assistant"}, {"请留言，我会转告机主", "voice_assistant"}, {"hi, this is a voice assistant, who's calling", "voice_assistant"},
	{"我上周已经还清了", "already_paid"}, {"钱已经打过去了", "already_paid"}, {"i've already paid it off", "already_paid"},
	{"我今天下午就去还", "promise_to_pay"}, {"下周一之前一定还上", "promise_to_pay"}, {"i will pay it today", "promise_to_pay"},
	{"我真的拿不出钱来", "cannot_pay"}, {"现在失业了，还不上", "cannot_pay"}, {"i can't afford to pay", "cannot_pay"},
	{"我从来没有借过你们的钱", "dispute_debt"}, {"这笔账不是我的", "dispute_debt"}, {"i never borrowed anything from you", "dispute_debt"},
}

func TestHeldOut2Accuracy(t *testing.T) {
	m := builtinMatcher(t)
	right := 0
	for _, c := range heldOut2 {
		got := m.Classify(c.text)
		if got.Intent == c.want {
			right++
		} else {
			t.Logf("miss: %q → %q (%.2f %s %q), want %q", c.text, got.Intent, got.Confidence, got.Source, got.Evidence, c.want)
		}
	}
	acc := float64(right) / float64(len(heldOut2))
	t.Logf("held-out 2 accuracy: %d/%d = %.1f%%", right, len(heldOut2), 100*acc)
	if acc < 0.75 {
		t.Errorf("held-out 2 accuracy %.1f%% < 75%%", 100*acc)
	}
}
