package dialog

import (
	"slices"
	"strings"
	"testing"
)

func tiny() *Script {
	return &Script{
		Name: "tiny", Start: "open", Vars: []string{"name"},
		Defaults: Defaults{Silence: &Retry{Lines: []string{"喂？"}}, NoMatch: &Retry{Lines: []string{"再说一遍？"}}},
		Nodes: []Node{
			{ID: "open", Type: NodeSay, Text: "您好${name}，我是XX公司的智能语音助手。", Next: "ask"},
			{ID: "ask", Type: NodeListen, Text: "需要吗？", Branches: []Branch{{Intents: []string{"affirm"}, Next: "yes"}, {Intents: []string{"deny"}, Next: "no"}}},
			{ID: "yes", Type: NodeHangup, Text: "好的再见"},
			{ID: "no", Type: NodeHangup, Text: "打扰了"},
		},
		Grading: DefaultGrading(),
	}
}

func TestValidateNamesTheNode(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(s *Script)
		where  string
		msg    string
	}{
		{"ok", func(s *Script) {}, "", ""},
		{"unreachable", func(s *Script) {
			s.Nodes = append(s.Nodes, Node{ID: "orphan", Type: NodeHangup})
		}, "node orphan", "unreachable"},
		{"dead end", func(s *Script) { s.Nodes[0].Next = "" }, "node open", "dead end"},
		{"missing node", func(s *Script) { s.Nodes[1].Branches[0].Next = "nowhere" }, "node ask", `missing node "nowhere"`},
		{"unknown var", func(s *Script) { s.Nodes[2].Text = "再见${amount}" }, "node yes", "${amount}"},
		{"empty line", func(s *Script) { s.Nodes[0].Text = " " }, "node open", "text is empty"},
		{"empty retry line", func(s *Script) { s.Defaults.NoMatch.Lines = []string{""} }, "defaults", "no-match line 1 is empty"},
		{"loop without exit", func(s *Script) {
			s.Defaults.Silence.Next, s.Defaults.NoMatch.Next = "ask", "ask"
			s.Nodes[1].Branches = []Branch{{Intents: []string{"affirm"}, Next: "ask2"}}
			s.Nodes = append(s.Nodes[:2], Node{ID: "ask2", Type: NodeListen, Text: "真的吗", Branches: []Branch{{Intents: []string{"deny"}, Next: "ask"}}})
		}, "node ask", "loop without exit"},
		{"loop without input", func(s *Script) {
			s.Nodes = append(s.Nodes, Node{ID: "a", Type: NodeSay, Text: "a", Next: "b"}, Node{ID: "b", Type: NodeSay, Text: "b", Next: "a"})
			s.Nodes[1].Branches[0].Next = "a"
		}, "node a", "loop without input"},
		{"interruptible disclosure", func(s *Script) { s.Nodes[0].BargeIn = &BargeIn{Mode: BargeInAfter, AfterMs: 300} }, "node open", "must not be interruptible"},
		{"opens with listen", func(s *Script) { s.Start = "ask" }, "node ask", "must open with a say node"},
		{"undefined intent", func(s *Script) { s.Nodes[1].Branches[0].Intents = []string{"nope"} }, "node ask", `undefined intent "nope"`},
		{"bad grade", func(s *Script) { s.Grading.Default = "Z" }, "grading", "not one of"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := tiny()
			c.mutate(s)
			errs := Errors(Validate(s))
			if c.where == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected: %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Where == c.where && strings.Contains(e.Message, c.msg) {
					return
				}
			}
			t.Fatalf("want %s: …%s…, got %v", c.where, c.msg, errs)
		})
	}
}

func TestCompletenessWarnings(t *testing.T) {
	s := tiny()
	var warned bool
	for _, i := range Validate(s) {
		if i.Warning && i.Where == "node ask" && strings.Contains(i.Message, "opt_out") {
			warned = true
		}
	}
	if !warned {
		t.Fatal("missing general-intent completeness warning")
	}
}

func TestRuntimeEvents(t *testing.T) {
	s := tiny()
	s.Nodes[1].BargeIn = &BargeIn{Mode: BargeInIntents, Intents: []string{"deny"}}
	c := NewCall(s, map[string]string{"name": "张三"})
	acts := c.Start()
	if len(acts) != 3 {
		t.Fatalf("start actions %v", acts)
	}
	if say := acts[0].(Say); say.Text != "您好张三，我是XX公司的智能语音助手。" || say.BargeIn.Mode != BargeInOff {
		t.Fatalf("opening %+v", say)
	}
	if l, ok := acts[2].(Listen); !ok || l.TimeoutMs != DefaultSilenceMs {
		t.Fatalf("listen %+v", acts[2])
	}
	// Speech over the lines: "affirm" is not allowed to barge in.
	if got := c.Handle(Heard{Text: "好的", Final: true, PlayedMs: 100}); got != nil {
		t.Fatalf("barge-in by affirm allowed: %v", got)
	}
	c.Handle(PlaybackDone{PlayedMs: 2000})
	// "deny" may barge in over the question.
	got := c.Handle(Heard{Text: "不是", Final: true, PlayedMs: 300})
	if _, ok := got[0].(StopPlayback); !ok {
		t.Fatalf("want StopPlayback first, got %v", got)
	}
	if h, ok := got[len(got)-1].(Hangup); !ok || h.Text != "打扰了" {
		t.Fatalf("want hangup, got %v", got)
	}
	r := c.Result()
	if !r.Ended || r.End != EndHangup || len(r.Intents) != 1 || r.Intents[0].Intent != "deny" {
		t.Fatalf("result %+v", r)
	}
	if c.Handle(Heard{Text: "喂", Final: true}) != nil {
		t.Fatal("events after the end must be ignored")
	}
}

func TestRuntimeRetries(t *testing.T) {
	s := tiny()
	c := NewCall(s, map[string]string{"name": "李四"})
	c.Start()
	if a := c.Reply("<silence>"); a[0].(Say).Text != "喂？" {
		t.Fatalf("silence line: %v", a)
	}
	if a := c.Reply("今天天气怎么样"); a[0].(Say).Text != "再说一遍？" {
		t.Fatalf("no-match line: %v", a)
	}
	a := c.Reply("<error>") // engine error takes the no-match path: retries used up
	if _, ok := a[len(a)-1].(Hangup); !ok {
		t.Fatalf("want hangup after retries, got %v", a)
	}
	if c.Result().Turns != 1 {
		t.Fatalf("turns %d", c.Result().Turns)
	}
}

func TestBargeInAfter(t *testing.T) {
	s := tiny()
	s.Nodes[1].BargeIn = &BargeIn{Mode: BargeInAfter, AfterMs: 500}
	c := NewCall(s, nil)
	c.Start()
	c.Handle(PlaybackDone{})
	if c.Handle(BargedIn{PlayedMs: 100}) != nil {
		t.Fatal("barge-in before after_ms")
	}
	if a := c.Handle(BargedIn{PlayedMs: 600}); len(a) != 1 {
		t.Fatalf("want StopPlayback, got %v", a)
	}
	if a := c.Handle(Heard{Text: "是的", Final: true}); a[len(a)-1].(Hangup).Text != "好的再见" {
		t.Fatalf("got %v", a)
	}
}

func TestListenExpectPhrases(t *testing.T) {
	c := NewCall(tiny(), nil)
	acts := c.Start()
	l := acts[len(acts)-1].(Listen)
	if !slices.Contains(l.Expect, "我就是") || !slices.Contains(l.Expect, "不是") {
		t.Fatalf("expect phrases %v", l.Expect)
	}
	for _, w := range l.Expect {
		if w[0] < 0x80 {
			t.Fatalf("a zh script got English hot words: %v", l.Expect)
		}
	}
}

func TestHeardDuringPlaybackAfterPolicy(t *testing.T) {
	s := tiny()
	s.Nodes[1].BargeIn = &BargeIn{Mode: BargeInAfter, AfterMs: 1000}
	c := NewCall(s, nil)
	c.Start()
	c.Handle(PlaybackDone{}) // the disclosure; the question is still playing
	if a := c.Handle(Heard{Text: "是的", Final: true, PlayedMs: 400}); a != nil {
		t.Fatalf("speech 400 ms into a line interruptible after 1000 ms must be ignored: %v", a)
	}
	if a := c.Handle(Heard{Text: "是的", Final: false, PlayedMs: 1500}); a != nil {
		t.Fatalf("partials never act: %v", a)
	}
	a := c.Handle(Heard{Text: "是的", Final: true, PlayedMs: 1500})
	if _, ok := a[0].(StopPlayback); !ok {
		t.Fatalf("want StopPlayback, got %v", a)
	}
	r := c.Result()
	tags, vars, tl := r.AttemptFields()
	if tags != "[]" || vars != "{}" || !strings.Contains(tl, `"ignored_during_playback"`) {
		t.Fatalf("attempt fields %s %s %s", tags, vars, tl)
	}
}

func TestLowASRConfidenceIsNoMatch(t *testing.T) {
	s := tiny()
	s.Defaults.MinASRConfidence = 0.5
	c := NewCall(s, nil)
	c.Start()
	c.Handle(PlaybackDone{})
	c.Handle(PlaybackDone{})
	a := c.Handle(Heard{Text: "是的", Final: true, Confidence: 0.2})
	if a[0].(Say).Text != "再说一遍？" {
		t.Fatalf("low confidence must retry: %v", a)
	}
	c.Handle(PlaybackDone{})
	a = c.Handle(Heard{Text: "是的", Final: true, Confidence: 0.9})
	if h, ok := a[len(a)-1].(Hangup); !ok || h.Text != "好的再见" {
		t.Fatalf("confident speech routes: %v", a)
	}
}
