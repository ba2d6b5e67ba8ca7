package dialog

import (
	"testing"
)

// heldOut are utterances written separately from the library's examples
// (none is an example verbatim) to measure recognition honestly.
var heldOut = []struct{ text, want string }{
	{"嗯是我", "affirm"}, {"对，我就是", "affirm"}, {"好好好", "affirm"}, {"行，没问题", "affirm"}, {"yes speaking", "affirm"}, {"yep that's right", "affirm"},
	{"不是我", "deny"}, {"没有没有", "deny"}, {"不对啊", "deny"}, {"no", "deny"}, {"nope not at all", "deny"},
	{"我这边正在忙呢", "busy"}, {"我在开会，不方便", "busy"}, {"现在没时间啊", "busy"}, {"sorry i'm at work", "busy"}, {"i'm driving now", "busy"},
	{"你下午再打过来吧", "call_later"}, {"晚点再联系我", "call_later"}, {"过两天再说吧", "call_later"}, {"could you call back later", "call_later"}, {"call me tomorrow please", "call_later"},
	{"你哪里的", "ask_identity"}, {"你们是什么公司", "ask_identity"}, {"谁呀", "ask_identity"}, {"who's calling please", "ask_identity"}, {"sorry who is this", "ask_identity"},
	{"你从哪里拿到我的号码的", "ask_number_source"}, {"我的电话你们怎么知道的", "ask_number_source"}, {"谁把我号码给你们的", "ask_number_source"}, {"how did you get my phone number", "ask_number_source"},
	{"不需要，谢谢", "not_interested"}, {"我对这个没兴趣", "not_interested"}, {"暂时不考虑", "not_interested"}, {"no thanks, not interested", "not_interested"}, {"we don't need that", "not_interested"},
	{"听起来不错，说说看", "interested"}, {"我想了解一下", "interested"}, {"那你把资料发我吧", "interested"}, {"sounds good, tell me more", "interested"}, {"yes i'm interested", "interested"},
	{"大概多少钱啊", "ask_price"}, {"怎么收费的", "ask_price"}, {"价格贵不贵", "ask_price"}, {"what does it cost", "ask_price"}, {"how much is it", "ask_price"},
	{"我要人工服务", "request_human"}, {"转个人工吧", "request_human"}, {"让你们客服跟我说", "request_human"}, {"can i speak to a real person", "request_human"}, {"i want an agent", "request_human"},
	{"你是不是AI啊", "ask_is_robot"}, {"你是机器吧", "ask_is_robot"}, {"是真人在说话吗", "ask_is_robot"}, {"is this a robot", "ask_is_robot"}, {"are you a real human", "ask_is_robot"},
	{"你们再这样我投诉了", "complaint"}, {"我要举报你们", "complaint"}, {"一天打好几次，骚扰啊", "complaint"}, {"i will file a complaint", "complaint"}, {"stop harassing me or i call the police", "complaint"},
	{"别再给我打电话了", "opt_out"}, {"把我的号码删掉", "opt_out"}, {"以后不要联系我了", "opt_out"}, {"don't call this number again", "opt_out"}, {"please take me off your list", "opt_out"},
	{"打错电话了", "wrong_person"}, {"我不是王女士", "wrong_person"}, {"没有这个人啊", "wrong_person"}, {"sorry wrong number", "wrong_person"}, {"he doesn't live here anymore", "wrong_person"},
	{"你刚才说什么", "ask_repeat"}, {"听不清楚", "ask_repeat"}, {"再说一遍好吗", "ask_repeat"}, {"pardon me?", "ask_repeat"}, {"can you say that again", "ask_repeat"},
	{"你好，我是机主的语音助手，请问有什么事", "voice_assistant"}, {"机主不方便接听，请留言", "voice_assistant"}, {"please leave a message after the tone", "voice_assistant"}, {"this is an assistant screening calls", "voice_assistant"},
	{"我早就还了", "already_paid"}, {"钱已经还清了啊", "already_paid"}, {"上个月就付过了", "already_paid"}, {"i paid it last week", "already_paid"}, {"i already paid", "already_paid"},
	{"我明天就去还", "promise_to_pay"}, {"月底还给你们", "promise_to_pay"}, {"我会还的，放心", "promise_to_pay"}, {"i'll pay tomorrow", "promise_to_pay"}, {"i will pay by the end of the month", "promise_to_pay"},
	{"真没钱还", "cannot_pay"}, {"最近太困难了", "cannot_pay"}, {"我手头紧啊", "cannot_pay"}, {"i can't afford it now", "cannot_pay"}, {"i have no money", "cannot_pay"},
	{"我没借过钱", "dispute_debt"}, {"这钱不是我欠的", "dispute_debt"}, {"金额搞错了吧", "dispute_debt"}, {"i don't owe anything", "dispute_debt"}, {"this is not my debt", "dispute_debt"},
}

func builtinMatcher(t testing.TB) *Matcher {
	m, err := NewMatcher(BuiltinIntents())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHeldOutAccuracy(t *testing.T) {
	m := builtinMatcher(t)
	examples := map[string]bool{}
	for _, in := range BuiltinIntents() {
		for _, e := range in.Examples {
			examples[Normalize(e)] = true
		}
	}
	right := 0
	perIntent := map[string][2]int{}
	for _, c := range heldOut {
		if examples[Normalize(c.text)] {
			t.Errorf("held-out %q is also an example", c.text)
		}
		got := m.Classify(c.text)
		p := perIntent[c.want]
		p[1]++
		if got.Intent == c.want {
			right++
			p[0]++
		} else {
			t.Logf("miss: %q → %q (%.2f %s %q), want %q", c.text, got.Intent, got.Confidence, got.Source, got.Evidence, c.want)
		}
		perIntent[c.want] = p
	}
	acc := float64(right) / float64(len(heldOut))
	t.Logf("held-out accuracy: %d/%d = %.1f%%", right, len(heldOut), 100*acc)
	for _, name := range GeneralIntentNames() {
		if perIntent[name][1] == 0 {
			t.Errorf("no held-out utterance for %s", name)
		}
	}
	if acc < 0.9 {
		t.Errorf("held-out accuracy %.1f%% < 90%%", 100*acc)
	}
}

func TestNegation(t *testing.T) {
	m := builtinMatcher(t)
	cases := []struct{ text, want, notWant string }{
		{"不需要", "not_interested", "interested"},
		{"需要", "interested", ""},
		{"我不是不想还，是真的手头紧", "cannot_pay", ""},
		{"不是不想还", "", "cannot_pay"},
		{"不太需要", "", "interested"},
		{"不是很感兴趣", "", "interested"},
		{"i'm not interested", "not_interested", "interested"},
		{"不可以", "deny", "affirm"},
		{"不用了不需要", "not_interested", ""},
	}
	for _, c := range cases {
		got := m.Classify(c.text)
		if c.want != "" && got.Intent != c.want {
			t.Errorf("%q → %q (%s %q), want %q", c.text, got.Intent, got.Source, got.Evidence, c.want)
		}
		if c.notWant != "" && got.Intent == c.notWant {
			t.Errorf("%q → %q, must not be", c.text, got.Intent)
		}
	}
}
