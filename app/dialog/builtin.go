package dialog

// General intent names. Templates and scripts may rely on these exact names.
const (
	IntentAffirm          = "affirm"
	IntentDeny            = "deny"
	IntentBusy            = "busy"
	IntentCallLater       = "call_later"
	IntentAskIdentity     = "ask_identity"
	IntentAskNumberSource = "ask_number_source"
	IntentNotInterested   = "not_interested"
	IntentInterested      = "interested"
	IntentAskPrice        = "ask_price"
	IntentRequestHuman    = "request_human"
	IntentAskIsRobot      = "ask_is_robot"
	IntentComplaint       = "complaint"
	IntentOptOut          = "opt_out"
	IntentWrongPerson     = "wrong_person"
	IntentAskRepeat       = "ask_repeat"
	IntentVoiceAssistant  = "voice_assistant"
	IntentAlreadyPaid     = "already_paid"
	IntentPromiseToPay    = "promise_to_pay"
	IntentCannotPay       = "cannot_pay"
	IntentDisputeDebt     = "dispute_debt"
)

// GeneralIntentNames lists the built-in library in a stable order.
func GeneralIntentNames() []string {
	out := make([]string, len(builtinIntents))
	for i, in := range builtinIntents {
		out[i] = in.Name
	}
	return out
}

// BuiltinIntents returns a copy of the general intent library (Chinese and
// English keywords, regexes and examples together: one call may mix them).
func BuiltinIntents() []Intent {
	out := make([]Intent, len(builtinIntents))
	for i, in := range builtinIntents {
		in.Keywords = append([]string(nil), in.Keywords...)
		in.Regexes = append([]string(nil), in.Regexes...)
		in.Examples = append([]string(nil), in.Examples...)
		out[i] = in
	}
	return out
}

// Priorities: what must never be missed (complaints, opt-outs, machines)
// outranks what is merely likely (yes/no).
var builtinIntents = []Intent{
	{Name: IntentAffirm, Priority: 0,
		Keywords: []string{"我就是", "就是我", "方便", "你说吧", "是的", "是我", "对的", "对对", "好的", "可以", "没问题", "行吧", "没错", "嗯嗯", "在的", "我是", "明白", "知道了", "收到",
			"yes", "yeah", "yep", "sure", "right", "correct", "okay", "ok", "speaking", "thats me", "of course", "alright", "got it"},
		Regexes:  []string{`^(嗯|好|行|对|是|在)+(的|吧|呢)?$`},
		Examples: []string{"是的是我", "对，是我本人", "好的好的", "可以的", "嗯，对", "没问题啊", "行，你说吧", "是我，什么事", "yes that's me", "yeah sure", "okay go ahead"}},
	{Name: IntentDeny, Priority: 0,
		Keywords: []string{"不是", "不对", "没有", "不行", "不可以", "不能", "去不了", "来不了", "不去", "cant make it", "wont make it", "不用", "不要", "错了", "no", "nope", "not really", "negative", "incorrect"},
		Regexes:  []string{`^(不|没)(是|有|对)?(的|啊)?$`, `^(不|没)+$`},
		Examples: []string{"不是的", "不对不对", "没有啊", "不用了", "不行", "no it's not", "nope", "no that's wrong"}},
	{Name: IntentBusy, Priority: 2,
		Keywords: []string{"有事", "手上有事", "在外面", "不太方便", "走不开", "忙不过来", "no time", "call at a bad time", "busy right now", "在忙", "很忙", "忙着", "开会", "开车", "在上班", "没空", "没时间", "不方便", "正忙", "在工作", "上课", "im busy", "busy", "in a meeting", "driving", "bad time", "not a good time", "at work"},
		Examples: []string{"我现在在忙", "正在开会呢", "我在开车不方便接电话", "现在没空", "我在上班，不方便说", "i'm busy right now", "i'm driving", "i'm in a meeting"}},
	{Name: IntentCallLater, Priority: 2,
		Keywords: []string{"回头", "下次", "有空再", "过阵子", "next week", "some other time", "再说", "过2天", "过几天", "晚点", "晚些", "待会", "等会", "一会儿再", "回头再", "改天", "明天再", "下午再", "晚上再", "再打", "过会", "稍后", "call me later", "call back", "call again later", "later", "tomorrow", "another time"},
		Examples: []string{"你晚点再打给我吧", "等会儿再说", "改天再联系", "明天再打过来", "过一会儿再打", "call me back later", "can you call tomorrow", "try again in an hour"}},
	{Name: IntentAskIdentity, Priority: 2,
		Keywords: []string{"哪家", "你谁", "什么单位", "哪个单位", "who am i speaking", "whos this", "who is it", "what is this about", "你是谁", "你哪位", "哪位", "哪里", "什么公司", "哪个公司", "你们是", "干什么的", "干嘛的", "who is this", "who are you", "whos calling", "which company", "who is calling"},
		Regexes:  []string{`^谁(呀|呢|啊)?$`, `^(你|您)是谁`, `^谁(打|找)`},
		Examples: []string{"你是哪位啊", "你是哪个公司的", "你们是干什么的", "请问你是谁", "你是哪里", "who is this", "who are you with", "what company is this"}},
	{Name: IntentAskNumberSource, Priority: 3,
		Keywords: []string{"谁告诉你", "谁给你", "怎么拿到", "哪里拿到", "从哪里拿", "how did you find", "号码给你", "电话给你", "号码哪来", "哪来的号码", "哪里来的", "怎么有我", "怎么知道我", "哪弄的", "从哪", "电话哪", "信息哪", "泄露", "how did you get my number", "where did you get", "how do you have my", "got my number"},
		Examples: []string{"你们怎么有我的电话", "我的号码你们从哪来的", "谁给你的我的号码", "你怎么知道我的名字", "我的信息是不是泄露了", "where did you get my number", "how did you get this number"}},
	{Name: IntentNotInterested, Priority: 2,
		Keywords: []string{"不要了", "不想", "没必要", "不考虑了", "不感冒", "not now thanks", "no need", "不需要", "不感兴趣", "没兴趣", "不想要", "不考虑", "用不着", "不用了", "算了", "没需要", "不买", "已经有了", "not interested", "no thanks", "no thank you", "dont need", "dont want", "not for me", "pass"},
		Examples: []string{"我不需要谢谢", "不感兴趣", "没有这个需要", "不用了，谢谢", "我们已经有了", "算了吧", "i'm not interested", "no thanks i don't need it", "we already have one"}},
	{Name: IntentInterested, Priority: 1,
		Keywords: []string{"挺好", "不错", "可以考虑", "有意思", "感觉可以", "sounds interesting", "worth a look", "感兴趣", "有兴趣", "需要", "想了解", "了解一下", "介绍一下", "说说看", "听听", "发我", "加微信", "详细", "想要", "考虑一下", "怎么办理", "interested", "tell me more", "sounds good", "send me", "id like", "i want", "more information", "how does it work"},
		Examples: []string{"可以了解一下", "你详细说说", "我有点兴趣", "发个资料给我看看", "加个微信吧", "那怎么办理呢", "i'm interested", "tell me more about it", "send me the details"}},
	{Name: IntentAskPrice, Priority: 2,
		Keywords: []string{"多少钱", "价格", "费用", "收费", "贵不贵", "怎么收", "价钱", "优惠", "利息", "报价", "how much", "price", "cost", "fee", "pricing", "expensive", "discount"},
		Examples: []string{"这个多少钱", "费用怎么算", "价格是多少", "收费吗", "有没有优惠", "利息多少", "how much does it cost", "what's the price", "is there a fee"}},
	{Name: IntentRequestHuman, Priority: 4,
		Keywords: []string{"真人客服", "人工服务", "找人工", "live agent", "a person please", "转人工", "人工", "真人", "客服", "找你们领导", "经理", "跟人说", "换个人", "坐席", "human", "real person", "operator", "agent", "representative", "talk to someone", "speak to a person", "manager"},
		Examples: []string{"给我转人工", "我要找人工客服", "让真人来跟我说", "叫你们经理接电话", "找个人跟我说", "let me talk to a human", "transfer me to an agent", "get me a real person"}},
	{Name: IntentAskIsRobot, Priority: 3,
		Keywords: []string{"自动语音", "是不是真人", "智能客服吗", "is this automated", "a real person or", "是真人", "are you real", "are you a real", "real human", "机器人", "是不是机器", "ai", "人工智能", "录音", "自动", "真人吗", "是人吗", "机器", "robot", "a bot", "machine", "recording", "automated", "are you real", "are you human", "artificial"},
		Examples: []string{"你是机器人吗", "你是不是机器人啊", "你是真人吗", "这是录音吧", "你是AI吗", "are you a robot", "is this a recording", "am i talking to a machine"}},
	{Name: IntentComplaint, Priority: 5,
		Keywords: []string{"烦不烦", "别骚扰", "消协", "监管", "report this", "file a complaint", "投诉", "举报", "12315", "工信部", "骚扰", "烦死", "有病", "报警", "天天打", "老是打", "一直打", "告你", "complain", "complaint", "report you", "harassment", "harassing", "sue", "police", "stop harassing"},
		Examples: []string{"我要投诉你们", "再打我就举报了", "你们这是骚扰电话", "天天打烦不烦", "我要去工信部投诉", "i'm going to report you", "this is harassment", "i want to file a complaint"}},
	{Name: IntentOptOut, Priority: 5,
		Keywords: []string{"别再联系", "从名单", "删掉", "不要再联系", "no more calls", "dont contact", "别再打", "不要再打", "别打了", "不要打了", "以后别打", "别给我打", "拉黑", "删掉我的号码", "号码删", "电话删", "删除我的", "取消订阅", "退订", "别联系我", "不要联系", "dont call", "stop calling", "remove me", "take me off", "unsubscribe", "do not call", "never call", "lose my number"},
		Examples: []string{"以后别再打给我了", "不要再给我打电话了", "把我号码删了", "请把我从名单里去掉", "退订", "don't call me again", "please remove me from your list", "stop calling me"}},
	{Name: IntentWrongPerson, Priority: 4,
		Keywords: []string{"找错人", "认错人", "错人", "不是这个人", "no such person", "没有这个人", "没这人", "查无此人", "打错", "不是本人", "我不是他", "我不是她", "没这个人", "不认识", "换号", "换人了", "不是我的", "wrong number", "wrong person", "not me", "no one by that name", "doesnt live here", "dont know", "new number"},
		Regexes:  []string{`不是.{0,6}(本人|他|她)$`, `^我?不是.{1,4}(先生|女士|小姐|本人|他|她)`},
		Examples: []string{"你打错了", "我不是张先生", "这里没有这个人", "我不认识他", "这个号码我刚换的", "他不在这个号码了", "you have the wrong number", "there's nobody here by that name", "i'm not him"}},
	{Name: IntentAskRepeat, Priority: 2,
		Keywords: []string{"听不太清", "再讲一遍", "刚才说啥", "说的啥", "one more time", "what was that", "再说一遍", "再说一次", "没听清", "听不清", "没听到", "听不见", "什么意思", "你说什么", "重复", "说慢点", "大声点", "repeat", "say that again", "pardon", "didnt catch", "come again", "cant hear", "what did you say", "sorry what"},
		Regexes:  []string{`^(啥|什么|嗯\?|hmm|what|huh|sorry)$`},
		Examples: []string{"你说什么", "没听清楚，再说一遍", "啥？", "信号不好听不见", "能重复一下吗", "sorry, could you repeat that", "i didn't catch that", "what did you say"}},
	{Name: IntentVoiceAssistant, Priority: 5,
		Keywords: []string{"助理", "代为转达", "不方便接听", "电话助手", "personal assistant", "not available right now", "智能助理", "语音助手", "电话助理", "秘书", "机主", "留言", "请说明来意", "请问您有什么事", "暂时无法接听", "代接", "转告", "voice assistant", "assistant", "leave a message", "state your name", "screening", "after the tone", "is not available", "reason for calling"},
		Examples: []string{"您好，我是机主的智能助理，请问有什么事", "机主现在不方便接听，您可以留言", "我是他的电话秘书，请说明来意", "您拨打的用户暂时无法接听，请在提示音后留言", "hi, i'm the voice assistant, please state your name and reason for calling", "the person you are calling is not available, please leave a message"}},
	{Name: IntentAlreadyPaid, Priority: 4,
		Keywords: []string{"还过", "已还", "付清", "结清", "paid off", "already settled", "早就还", "已经还了", "还过了", "已经还", "还清了", "已经付", "付过了", "已经交", "交过了", "还完了", "刚还", "昨天还", "打过去了", "already paid", "paid it", "paid already", "made the payment", "settled", "i paid"},
		Examples: []string{"我已经还了啊", "钱我昨天就还清了", "上周就还过了", "我刚刚转过去了", "这个我早就付过了", "i already paid that", "i made the payment yesterday", "it's been settled"}},
	{Name: IntentPromiseToPay, Priority: 3,
		Keywords: []string{"马上还", "会还", "尽快还", "这就还", "今天还", "明天还", "下周还", "月底还", "发工资还", "我还", "保证还", "去还", "处理一下", "i will pay", "ill pay", "pay today", "pay tomorrow", "pay by", "will transfer", "pay it now", "pay next week"},
		Regexes:  []string{`(今天|明天|后天|下周|月底|马上|尽快|这两天|这几天|\d+号|周.)(之前|以前)?(就|会|一定|肯定)?(去|能)?(还|处理|转)`},
		Examples: []string{"好的我今天就还", "明天一定还上", "我下午去处理", "发了工资就还", "我这两天就还上", "月底之前肯定还", "i'll pay it today", "i will pay by friday", "ok i'll transfer the money tomorrow"}},
	{Name: IntentCannotPay, Priority: 3,
		Keywords: []string{"还不了", "没能力", "经济困难", "资金紧张", "short on money", "no way to pay", "没钱", "还不起", "还不上", "不想还", "不还", "手头紧", "困难", "失业", "没工作", "周转不开", "拿不出", "缓几天", "延期", "cant pay", "cannot pay", "no money", "cant afford", "broke", "lost my job", "need more time", "not able to pay"},
		Examples: []string{"我现在真的没钱", "最近手头紧还不上", "我失业了拿不出钱", "能不能缓几天", "实在还不起", "能延期吗", "i can't pay right now", "i lost my job", "i don't have the money"}},
	{Name: IntentDisputeDebt, Priority: 4,
		Keywords: []string{"账不是我的", "钱不是我的", "这笔账", "不是我的债", "not my loan", "不是我欠", "没借过", "没有借", "不是我借", "没欠", "不欠", "金额不对", "数目不对", "搞错了", "有问题", "不认", "冒用", "没贷过", "没办过", "not my debt", "never borrowed", "dont owe", "wrong amount", "not mine", "never took", "fraud", "dispute"},
		Examples: []string{"我从来没借过这笔钱", "我不欠你们钱", "这个金额不对吧", "不是我借的，有人冒用我的身份", "我没在你们那办过贷款", "i never borrowed any money", "i don't owe you anything", "that amount is wrong"}},
}
