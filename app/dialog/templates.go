package dialog

import (
	"fmt"
	"slices"
	"strings"
)

// TemplateNames are the scenario templates, each in Chinese (the name) and
// English (name + "-en").
var TemplateNames = []string{"telemarketing", "collections", "notification", "followup", "verification"}

// TemplateInfo describes a template for the template picker.
type TemplateInfo struct {
	Name  string `json:"name"`
	Base  string `json:"base"`
	Lang  string `json:"lang"`
	Title string `json:"title"`
	Desc  string `json:"description"`
}

// Templates lists every template in both languages.
func Templates() []TemplateInfo {
	var out []TemplateInfo
	for _, base := range TemplateNames {
		for _, lang := range []string{"zh", "en"} {
			s, _ := Template(templateName(base, lang))
			out = append(out, TemplateInfo{Name: templateName(base, lang), Base: base, Lang: lang, Title: s.Title, Desc: s.Description})
		}
	}
	return out
}

func templateName(base, lang string) string {
	if lang == "en" {
		return base + "-en"
	}
	return base
}

// Template returns a fresh copy of a template script: "collections" (zh)
// or "collections-en".
func Template(name string) (*Script, error) {
	base, lang := name, "zh"
	if b, ok := strings.CutSuffix(name, "-en"); ok {
		base, lang = b, "en"
	}
	if !slices.Contains(TemplateNames, base) {
		return nil, fmt.Errorf("unknown template %q (have %s)", name, strings.Join(TemplateNames, ", "))
	}
	b := &tb{lang: lang}
	var s *Script
	switch base {
	case "telemarketing":
		s = b.telemarketing()
	case "collections":
		s = b.collections()
	case "notification":
		s = b.notification()
	case "followup":
		s = b.followup()
	case "verification":
		s = b.verification()
	}
	s.Name, s.Template, s.Lang = name, base, lang
	return s, nil
}

// tb builds templates in one language.
type tb struct{ lang string }

func (b *tb) t(zh, en string) string {
	if b.lang == "en" {
		return en
	}
	return zh
}

var listenBarge = &BargeIn{Mode: BargeInAfter, AfterMs: 800}

func (b *tb) say(id, zh, en, next string) Node {
	return Node{ID: id, Type: NodeSay, Text: b.t(zh, en), Next: next}
}

func (b *tb) listen(id, zh, en string, branches ...Branch) Node {
	return Node{ID: id, Type: NodeListen, Text: b.t(zh, en), Branches: branches}
}

func (b *tb) bye(id, zh, en string) Node {
	return Node{ID: id, Type: NodeHangup, Text: b.t(zh, en)}
}

func (b *tb) tag(id, next string, tags ...string) Node {
	return Node{ID: id, Type: NodeSet, Tags: tags, Next: next}
}

func br(next string, intents ...string) Branch { return Branch{Intents: intents, Next: next} }

// common are the nodes, globals and defaults every template shares: the
// disclosure opening, identity check, the standard endings and an answer
// for every general intent at every waiting node.
func (b *tb) common(s *Script, afterConfirm string) {
	s.Start = "open"
	s.Defaults = Defaults{
		SilenceMs: 5000,
		Silence: &Retry{Lines: []string{
			b.t("喂，您好，请问能听到我说话吗？", "Hello, can you hear me?"),
			b.t("不好意思，我这边听不到您的声音。", "Sorry, I can't hear you."),
		}, Next: "bye_noresp"},
		NoMatch: &Retry{Lines: []string{
			b.t("不好意思，我没太听清，您能再说一遍吗？", "Sorry, I didn't quite get that. Could you say it again?"),
			b.t("抱歉，您可以简单回答是或者不是。", "Sorry, could you simply answer yes or no?"),
		}, Next: "bye_generic"},
		BargeIn: listenBarge,
	}
	s.Nodes = append([]Node{
		b.say("open", "您好，我是XX公司的智能语音助手，本次通话可能会被录音。", "Hello, this is the AI voice assistant of XX Company. This call may be recorded.", "confirm"),
		b.listen("confirm", "请问您是${name}本人吗？", "Am I speaking with ${name}?",
			br(afterConfirm, IntentAffirm),
			br("bye_wrong", IntentDeny, IntentWrongPerson),
			br("callback", IntentBusy, IntentCallLater)),
	}, s.Nodes...)
	s.Nodes = append(s.Nodes,
		b.tag("callback", "bye_callback", "callback"),
		b.bye("bye_callback", "好的，那我们稍后再联系您，祝您生活愉快，再见。", "No problem, we'll call you back later. Goodbye."),
		b.tag("refused", "bye_refused", "refused"),
		b.bye("bye_refused", "好的，打扰您了，祝您生活愉快，再见。", "Understood, sorry to bother you. Have a nice day, goodbye."),
		b.tag("wrong", "bye_wrong_line", "wrong_person"),
		b.bye("bye_wrong_line", "不好意思，打扰了，再见。", "Sorry for the trouble, goodbye."),
		b.bye("bye_noresp", "那我们稍后再联系您，再见。", "We'll try again later, goodbye."),
		b.bye("bye_generic", "感谢您的接听，稍后会有工作人员与您联系，再见。", "Thank you for your time, a colleague will follow up. Goodbye."),
	)
	// bye_wrong is the branch target: tag first.
	for i := range s.Nodes[1].Branches {
		if s.Nodes[1].Branches[i].Next == "bye_wrong" {
			s.Nodes[1].Branches[i].Next = "wrong"
		}
	}
	s.Vars = append([]string{"name"}, s.Vars...)
	ans := func(intent, zh, en string) Global {
		return Global{Intent: intent, Action: GlobalAnswer, Text: b.t(zh, en), Reprompt: true}
	}
	g := []Global{
		ans(IntentAffirm, "好的。", "Okay."),
		ans(IntentDeny, "明白。", "I see."),
		{Intent: IntentBusy, Action: GlobalGoto, Next: "callback"},
		{Intent: IntentCallLater, Action: GlobalGoto, Next: "callback"},
		ans(IntentAskIdentity, "我是XX公司的智能语音助手。", "I'm the AI voice assistant of XX Company."),
		ans(IntentAskNumberSource, "您的号码来自您在我们平台登记的信息，如果不希望接到来电，您可以随时告诉我。", "Your number comes from the details you registered with us; tell me any time if you'd rather not be called."),
		{Intent: IntentNotInterested, Action: GlobalGoto, Next: "refused"},
		ans(IntentInterested, "好的，谢谢您。", "Great, thank you."),
		ans(IntentAskPrice, "具体费用以工作人员和您确认的为准。", "A colleague will confirm the exact cost with you."),
		{Intent: IntentRequestHuman, Action: GlobalTransfer, Target: "agents", Text: b.t("好的，正在为您转接人工，请稍候。", "Sure, transferring you to a colleague, please hold."), Tags: []string{"request_human"}},
		ans(IntentAskIsRobot, "是的，我是智能语音助手，有需要可以随时为您转接人工。", "Yes, I'm an AI assistant; I can transfer you to a person any time."),
		{Intent: IntentComplaint, Action: GlobalHangup, Text: b.t("非常抱歉给您带来困扰，您的意见我们已经记录，再见。", "I'm very sorry for the trouble. Your feedback has been recorded. Goodbye."), Tags: []string{"complaint"}},
		{Intent: IntentOptOut, Action: GlobalHangup, Text: b.t("好的，我们以后不会再打扰您，再见。", "Understood, we won't call you again. Goodbye."), Tags: []string{"opt_out"}},
		{Intent: IntentWrongPerson, Action: GlobalGoto, Next: "wrong"},
		{Intent: IntentAskRepeat, Action: GlobalRepeat},
		{Intent: IntentVoiceAssistant, Action: GlobalHangup, Text: b.t("您好，麻烦转告机主，XX公司稍后会再联系，谢谢。", "Hello, please tell them XX Company will call back. Thank you."), Tags: []string{"voice_assistant"}},
		ans(IntentAlreadyPaid, "好的，我记下了。", "Okay, noted."),
		ans(IntentPromiseToPay, "好的，我记下了。", "Okay, noted."),
		ans(IntentCannotPay, "好的，我记下了。", "Okay, noted."),
		ans(IntentDisputeDebt, "好的，我记下了，稍后会有工作人员核实。", "Okay, noted; a colleague will look into it."),
	}
	// Template-specific globals replace the common ones.
	for _, sg := range s.Globals {
		for i := range g {
			if g[i].Intent == sg.Intent {
				g[i] = sg
			}
		}
	}
	s.Globals = g
	gr := DefaultGrading()
	gr.Rules = append(gr.Rules[:2:2], append([]GradeRule{{Grade: "B", AnyTags: []string{"transferred"}}}, gr.Rules[2:]...)...)
	s.Grading = gr
	// Tests every template shares.
	s.Tests = append(s.Tests,
		Test{Name: "wrong person", Vars: s.testVars(), Lines: []string{b.t("你打错了", "wrong number")}, Path: []string{"open", "confirm", "wrong", "bye_wrong_line"}, Tags: []string{"wrong_person"}, Grade: "F", End: EndHangup},
		Test{Name: "busy", Vars: s.testVars(), Lines: []string{b.t("我在开会", "I'm in a meeting")}, Path: []string{"confirm", "callback", "bye_callback"}, Tags: []string{"callback"}, Grade: "B", End: EndHangup},
		Test{Name: "opt out", Vars: s.testVars(), Lines: []string{b.t("是我", "yes"), b.t("以后别再打了", "stop calling me")}, Tags: []string{"opt_out"}, Grade: "F", End: EndHangup},
		Test{Name: "silence", Vars: s.testVars(), Lines: []string{"<silence>", "<silence>", "<silence>"}, Path: []string{"confirm", "bye_noresp"}, Tags: []string{"no_response"}, Grade: "E", End: EndHangup},
		Test{Name: "human", Vars: s.testVars(), Lines: []string{b.t("转人工", "let me talk to a human")}, Tags: []string{"request_human", "transferred"}, Grade: "B", End: EndTransfer},
		Test{Name: "robot question then repeat", Vars: s.testVars(), Lines: []string{b.t("你是机器人吗", "are you a robot"), b.t("什么？再说一遍", "say that again"), b.t("我在开车", "I'm driving")}, Path: []string{"confirm", "callback"}, Grade: "B"},
	)
}

func (s *Script) testVars() map[string]string {
	v := map[string]string{}
	for _, k := range s.Vars {
		v[k] = "x"
	}
	v["name"] = "张三"
	return v
}

func (b *tb) telemarketing() *Script {
	s := &Script{
		Title:       b.t("电销初筛", "Lead screening"),
		Description: b.t("介绍产品，判断意向，邀请添加微信。", "Pitch a product, qualify interest, get permission to follow up."),
		Globals: []Global{
			{Intent: IntentInterested, Action: GlobalGoto, Next: "ask_follow"},
			{Intent: IntentAskPrice, Action: GlobalAnswer, Reprompt: true, Text: b.t("价格根据您的需求定制，一般每月几百元起，顾问可以给您详细报价。", "Pricing depends on your needs, usually from a few hundred yuan a month; an advisor can quote you.")},
		},
	}
	s.Nodes = []Node{
		b.listen("pitch", "我们最近推出了一款帮企业提升客户转化的新产品，请问您有兴趣了解一下吗？", "We've launched a product that helps businesses convert more customers. Would you like to hear more?",
			br("ask_follow", IntentAffirm, IntentInterested),
			br("refused", IntentDeny, IntentNotInterested)),
		b.listen("ask_follow", "好的，方便的话我让顾问加您微信，给您发一份详细资料，可以吗？", "Great. May an advisor contact you with the details?",
			br("goal", IntentAffirm, IntentInterested),
			Branch{Intents: []string{IntentDeny, IntentNotInterested}, Tags: []string{"interested"}, Next: "bye_maybe"}),
		b.tag("goal", "bye_goal", "goal", "interested"),
		b.bye("bye_goal", "太好了，顾问稍后会联系您，感谢您的接听，再见。", "Wonderful, an advisor will be in touch. Thank you, goodbye."),
		b.bye("bye_maybe", "好的，您有需要随时联系我们，再见。", "Sure, feel free to reach us any time. Goodbye."),
	}
	b.common(s, "pitch")
	// Asking the price or showing interest is a buying signal even without a follow-up.
	s.Grading.Rules = append(s.Grading.Rules[:5:5], append([]GradeRule{{Grade: "B", AnyIntents: []string{IntentInterested, IntentAskPrice}}}, s.Grading.Rules[5:]...)...)
	s.Tests = append(s.Tests,
		Test{Name: "goal", Vars: s.testVars(), Lines: []string{b.t("是我", "yes it's me"), b.t("可以了解一下", "tell me more"), b.t("好的", "okay")}, Path: []string{"open", "confirm", "pitch", "ask_follow", "goal", "bye_goal"}, Tags: []string{"goal"}, Grade: "A", End: EndHangup},
		Test{Name: "price then refuse", Vars: s.testVars(), Lines: []string{b.t("对", "yes"), b.t("多少钱", "how much is it"), b.t("不需要", "not interested")}, Path: []string{"pitch", "refused", "bye_refused"}, Tags: []string{"refused"}, Grade: "D"},
		Test{Name: "interested, no follow-up", Vars: s.testVars(), Lines: []string{b.t("是的", "yes"), b.t("说说看", "sounds good"), b.t("不用了", "no thanks")}, Path: []string{"ask_follow", "bye_maybe"}, Tags: []string{"interested"}, Grade: "B"},
	)
	return s
}

func (b *tb) collections() *Script {
	s := &Script{
		Title:       b.t("催收提醒", "Debt-collection reminder"),
		Description: b.t("提醒到期还款，记录承诺还款时间。", "Remind of an overdue payment and record a promise to pay."),
		Vars:        []string{"amount", "due_date"},
		Globals: []Global{
			{Intent: IntentAlreadyPaid, Action: GlobalGoto, Next: "paid"},
			{Intent: IntentPromiseToPay, Action: GlobalGoto, Next: "ptp"},
			{Intent: IntentCannotPay, Action: GlobalGoto, Next: "hardship"},
			{Intent: IntentDisputeDebt, Action: GlobalTransfer, Target: "collections_agents", Text: b.t("好的，我为您转接专员核实，请稍候。", "Okay, I'll transfer you to a specialist to check, please hold."), Tags: []string{"dispute"}},
			{Intent: IntentAskPrice, Action: GlobalAnswer, Reprompt: true, Text: b.t("您本期应还金额是${amount}元。", "The amount due is ${amount} yuan.")},
		},
		KB: []KBEntry{{ID: "how_to_pay", Question: b.t("怎么还款", "how do I pay"), Keywords: []string{b.t("怎么还", "how do i pay"), b.t("还款方式", "payment method")}, Answer: b.t("您可以在APP的“我的账单”里直接还款。", "You can pay in the app under My Bills.")}},
	}
	s.Nodes = []Node{
		b.listen("remind", "您在我们平台的借款${amount}元已于${due_date}到期，请问今天能处理一下吗？", "Your loan payment of ${amount} yuan was due on ${due_date}. Can you take care of it today?",
			br("ptp", IntentAffirm, IntentPromiseToPay),
			br("paid", IntentAlreadyPaid),
			br("hardship", IntentCannotPay, IntentDeny),
			br("refused", IntentNotInterested)),
		b.listen("hardship", "理解您的难处，请问您最晚什么时候可以还上呢？", "I understand. When is the latest you could pay?",
			br("ptp", IntentAffirm, IntentPromiseToPay, IntentCallLater),
			Branch{Intents: []string{IntentCannotPay, IntentDeny, IntentNotInterested}, Tags: []string{"cannot_pay"}, Next: "bye_hardship"}),
		b.tag("ptp", "bye_ptp", "goal", "promise_to_pay"),
		b.bye("bye_ptp", "好的，请您按时还款，避免产生逾期记录，感谢配合，再见。", "Thank you. Please pay on time to avoid a late record. Goodbye."),
		b.tag("paid", "bye_paid", "already_paid"),
		b.bye("bye_paid", "好的，我们会核实入账情况，如有问题再联系您，再见。", "Thank you, we'll check the payment and contact you if needed. Goodbye."),
		b.bye("bye_hardship", "好的，稍后会有专员和您沟通还款方案，再见。", "Okay, a specialist will discuss a payment plan with you. Goodbye."),
	}
	b.common(s, "remind")
	s.Grading.Rules = append([]GradeRule{{Grade: "C", AnyTags: []string{"already_paid"}}, {Grade: "D", AnyTags: []string{"cannot_pay"}}}, s.Grading.Rules...)
	s.Tests = append(s.Tests,
		Test{Name: "promise", Vars: s.testVars(), Lines: []string{b.t("是我", "yes"), b.t("明天就还", "I'll pay tomorrow")}, Path: []string{"confirm", "remind", "ptp", "bye_ptp"}, Tags: []string{"goal", "promise_to_pay"}, Grade: "A"},
		Test{Name: "already paid", Vars: s.testVars(), Lines: []string{b.t("是的", "yes"), b.t("我已经还了", "I already paid")}, Path: []string{"remind", "paid"}, Tags: []string{"already_paid"}, Grade: "C"},
		Test{Name: "not unwilling, short of money", Vars: s.testVars(), Lines: []string{b.t("对", "yes"), b.t("不是不想还，是最近手头紧", "I can't pay right now"), b.t("月底还", "I'll pay by the end of the month")}, Path: []string{"remind", "hardship", "ptp"}, Tags: []string{"promise_to_pay"}, Grade: "A"},
		Test{Name: "dispute", Vars: s.testVars(), Lines: []string{b.t("是我", "yes"), b.t("我没借过钱", "I never borrowed money")}, Tags: []string{"dispute", "transferred"}, End: EndTransfer},
		Test{Name: "kb answer returns", Vars: s.testVars(), Lines: []string{b.t("是我", "yes"), b.t("怎么还款", "how do I pay"), b.t("好的", "okay")}, Path: []string{"remind", "ptp"}, Grade: "A"},
	)
	return s
}

func (b *tb) notification() *Script {
	s := &Script{
		Title:       b.t("通知", "Notification"),
		Description: b.t("快递、预约、会议通知与确认。", "Delivery, appointment or meeting notice with confirmation."),
		Vars:        []string{"event", "time"},
	}
	s.Nodes = []Node{
		b.listen("notice", "提醒您：${event}将于${time}进行，请问您能按时参加吗？", "A reminder: ${event} is scheduled for ${time}. Will you be able to make it?",
			br("confirmed", IntentAffirm, IntentInterested, IntentPromiseToPay),
			br("change", IntentDeny, IntentNotInterested, IntentCannotPay)),
		{ID: "change", Type: NodeDTMF, Text: b.t("如需改期请按1，取消请按2。", "To reschedule press 1, to cancel press 2."), MaxDigits: 1, Var: "choice",
			Branches: []Branch{{Digits: "1", Tags: []string{"reschedule"}, Next: "bye_reschedule"}, {Digits: "2", Tags: []string{"cancelled"}, Next: "bye_cancel"}}},
		b.tag("confirmed", "bye_confirmed", "goal", "confirmed"),
		b.bye("bye_confirmed", "好的，期待您准时参加，再见。", "Great, see you then. Goodbye."),
		b.bye("bye_reschedule", "好的，工作人员会联系您重新安排时间，再见。", "Okay, a colleague will contact you to reschedule. Goodbye."),
		b.bye("bye_cancel", "好的，已为您取消，再见。", "Okay, it's cancelled. Goodbye."),
	}
	b.common(s, "notice")
	s.Grading.Rules = append([]GradeRule{{Grade: "C", AnyTags: []string{"reschedule"}}, {Grade: "D", AnyTags: []string{"cancelled"}}}, s.Grading.Rules...)
	s.Tests = append(s.Tests,
		Test{Name: "confirmed", Vars: s.testVars(), Lines: []string{b.t("是我", "speaking"), b.t("可以的", "yes sure")}, Path: []string{"notice", "confirmed", "bye_confirmed"}, Tags: []string{"goal"}, Grade: "A"},
		Test{Name: "reschedule by key", Vars: s.testVars(), Lines: []string{b.t("是的", "yes"), b.t("不行", "no"), "<dtmf:1>"}, Path: []string{"notice", "change", "bye_reschedule"}, Tags: []string{"reschedule"}, Grade: "C"},
		Test{Name: "cancel by saying the digit", Vars: s.testVars(), Lines: []string{b.t("是的", "yes"), b.t("去不了", "no"), b.t("二", "2")}, Path: []string{"change", "bye_cancel"}, Tags: []string{"cancelled"}, Grade: "D"},
	)
	return s
}

func (b *tb) followup() *Script {
	s := &Script{
		Title:       b.t("回访", "Satisfaction follow-up"),
		Description: b.t("服务满意度回访，按键打分并收集意见。", "Satisfaction survey: key-press score and feedback."),
		Vars:        []string{"product"},
	}
	s.Nodes = []Node{
		b.listen("intro", "想占用您一分钟，对您最近使用的${product}做个简单回访，可以吗？", "Could I take a minute to ask about your recent experience with ${product}?",
			br("rate", IntentAffirm, IntentInterested),
			br("refused", IntentDeny, IntentNotInterested)),
		{ID: "rate", Type: NodeDTMF, Text: b.t("请您按键为本次服务打分，1分最低，5分最高。", "Please rate the service from 1 to 5 on your keypad, 5 being best."), MaxDigits: 1, Var: "score",
			Branches: []Branch{{Digits: "1", Next: "unhappy"}, {Digits: "2", Next: "unhappy"}, {Digits: "4", Tags: []string{"goal", "satisfied"}, Next: "bye_thanks"}, {Digits: "5", Tags: []string{"goal", "satisfied"}, Next: "bye_thanks"}},
			Next:     "bye_neutral"},
		{ID: "unhappy", Type: NodeListen, Text: b.t("非常抱歉没让您满意，请问主要是哪方面的问题呢？", "I'm sorry to hear that. What was the main problem?"),
			NoMatch: &Retry{Next: "feedback"}, Silence: &Retry{Next: "feedback"},
			Branches: []Branch{br("feedback", IntentDeny, IntentAffirm)}},
		b.tag("feedback", "bye_feedback", "unsatisfied"),
		b.bye("bye_feedback", "您的意见我们已经记录，会尽快改进，感谢您的反馈，再见。", "Your feedback has been recorded and we'll improve. Thank you, goodbye."),
		b.bye("bye_thanks", "感谢您的支持，祝您生活愉快，再见。", "Thank you for your support, goodbye."),
		b.bye("bye_neutral", "感谢您的评价，再见。", "Thanks for your rating, goodbye."),
	}
	b.common(s, "intro")
	s.Grading.Rules = append([]GradeRule{{Grade: "C", AnyTags: []string{"unsatisfied"}}}, s.Grading.Rules...)
	s.Tests = append(s.Tests,
		Test{Name: "five stars", Vars: s.testVars(), Lines: []string{b.t("是我", "yes"), b.t("可以", "sure"), "<dtmf:5>"}, Path: []string{"intro", "rate", "bye_thanks"}, Tags: []string{"goal", "satisfied"}, Grade: "A"},
		Test{Name: "unhappy with feedback", Vars: s.testVars(), Lines: []string{b.t("是我", "yes"), b.t("行吧", "okay"), "<dtmf:1>", b.t("送货太慢了", "delivery was too slow")}, Path: []string{"rate", "unhappy", "feedback"}, Tags: []string{"unsatisfied"}, Grade: "C"},
		Test{Name: "score three", Vars: s.testVars(), Lines: []string{b.t("是我", "yes"), b.t("好的", "ok"), "<dtmf:3>"}, Path: []string{"rate", "bye_neutral"}, Grade: "C"},
	)
	return s
}

func (b *tb) verification() *Script {
	s := &Script{
		Title:       b.t("核验", "Identity / order verification"),
		Description: b.t("核实订单与身份，防止盗用。", "Verify an order and the buyer's identity."),
		Vars:        []string{"order_id", "id_last4"},
	}
	s.Nodes = []Node{
		b.listen("verify_order", "您是否在我们平台下了一笔订单，订单号${order_id}？", "Did you place order ${order_id} on our platform?",
			br("ask_last4", IntentAffirm, IntentInterested),
			Branch{Intents: []string{IntentDeny, IntentDisputeDebt, IntentNotInterested}, Tags: []string{"not_mine"}, Next: "bye_not_mine"}),
		{ID: "ask_last4", Type: NodeDTMF, Text: b.t("请在按键上输入您身份证号码的后四位。", "Please enter the last four digits of your ID number on the keypad."), MaxDigits: 4, Var: "last4",
			Next: "check"},
		{ID: "check", Type: NodeBranch, Branches: []Branch{{Var: "last4", Equals: "${id_last4}", Tags: []string{"goal", "verified"}, Next: "bye_verified"}}, Next: "mismatch"},
		b.tag("mismatch", "bye_mismatch", "verify_failed"),
		b.bye("bye_verified", "核验通过，感谢您的配合，再见。", "You're verified, thank you. Goodbye."),
		b.bye("bye_mismatch", "信息核验未通过，稍后会有工作人员联系您，再见。", "We couldn't verify that; a colleague will contact you. Goodbye."),
		b.bye("bye_not_mine", "好的，我们会立即冻结该订单并进一步核查，再见。", "Understood, we'll hold the order and investigate. Goodbye."),
	}
	b.common(s, "verify_order")
	s.Grading.Rules = append([]GradeRule{{Grade: "C", AnyTags: []string{"verify_failed"}}, {Grade: "D", AnyTags: []string{"not_mine"}}}, s.Grading.Rules...)
	vars := s.testVars()
	vars["id_last4"] = "1234"
	s.Tests = append(s.Tests,
		Test{Name: "verified", Vars: vars, Lines: []string{b.t("是我", "yes"), b.t("是的", "yes I did"), "<dtmf:1234>"}, Path: []string{"verify_order", "ask_last4", "check", "bye_verified"}, Tags: []string{"verified"}, Grade: "A"},
		Test{Name: "digits mismatch", Vars: vars, Lines: []string{b.t("是我", "yes"), b.t("对", "yes"), "<dtmf:9999>"}, Path: []string{"check", "mismatch"}, Tags: []string{"verify_failed"}, Grade: "C"},
		Test{Name: "not my order", Vars: vars, Lines: []string{b.t("是我", "yes"), b.t("不是我下的", "no, I didn't")}, Path: []string{"verify_order", "bye_not_mine"}, Tags: []string{"not_mine"}, Grade: "D"},
	)
	return s
}
