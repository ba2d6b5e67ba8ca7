package dialog

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Default LLM node settings.
const (
	DefaultLLMBudgetMs = 1500
	DefaultLLMMaxTurns = 8
)

// AllTools are the tools an LLM node may offer the model.
var AllTools = []string{"set_var", "set_tag", "goto", "transfer", "hangup"}

func (c *Call) safeLine() string {
	if c.s.Lang == "en" {
		return "Sorry, I can't talk about that."
	}
	return "抱歉，这个问题我没办法回答您。"
}

// llmSystemPrompt is the system message: the node's prompt with the
// contact's variables, the knowledge base, guardrails and tool rules.
func (c *Call) llmSystemPrompt(cfg *LLMConfig) string {
	var b strings.Builder
	b.WriteString(Expand(cfg.Prompt, c.vars))
	if cfg.UseKB && len(c.s.KB) > 0 {
		b.WriteString("\n\nKnowledge base (answer only from it):\n")
		for _, kb := range c.s.KB {
			b.WriteString("Q: " + kb.Question + "\nA: " + Expand(kb.Answer, c.vars) + "\n")
		}
	}
	if len(cfg.BannedTopics) > 0 {
		b.WriteString("\nNever discuss: " + strings.Join(cfg.BannedTopics, ", ") + ".")
	}
	if len(cfg.BannedPhrase) > 0 {
		b.WriteString("\nNever say: " + strings.Join(cfg.BannedPhrase, ", ") + ".")
	}
	b.WriteString("\nThis is a phone call: reply in one to three short sentences.")
	return b.String()
}

func (c *Call) banned(cfg *LLMConfig, s string) bool {
	ls := strings.ToLower(s)
	for _, p := range cfg.BannedPhrase {
		if p != "" && strings.Contains(ls, strings.ToLower(p)) {
			return true
		}
	}
	for _, p := range cfg.BannedTopics {
		if p != "" && strings.Contains(ls, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

func (c *Call) llmTurn(acts []Action, text string) []Action {
	n := c.waiting
	cfg := n.LLM
	if cfg == nil {
		// Validation refuses this; a running call still must not crash.
		cfg = &LLMConfig{}
	}
	m := c.cs.Matcher.Classify(text)
	c.log(Entry{Who: "callee", Node: n.ID, Text: text, Intent: m.Intent, Confidence: m.Confidence, Source: m.Source})
	if m.Intent != "" {
		c.intents = append(c.intents, IntentHit{Node: n.ID, Text: text, Intent: m.Intent, Confidence: m.Confidence, Source: m.Source})
		// Hard global intents (opt-out, complaint, a human) are never left
		// to the model.
		if g := c.cs.globals[m.Intent]; g != nil && (g.Action == GlobalHangup || g.Action == GlobalTransfer || g.Action == GlobalGoto) {
			return c.global(acts, g)
		}
	}
	fallback := func(acts []Action, reason string) []Action {
		if cfg.FillerLine != "" {
			acts = c.say(acts, cfg.FillerLine, "", BargeIn{Mode: BargeInOff}, n.ID)
		}
		c.log(Entry{Who: "system", Node: n.ID, Event: "llm_fallback", Text: reason})
		if cfg.Fallback != "" {
			return c.run(acts, cfg.Fallback)
		}
		return c.retry(acts, false)
	}
	if c.chat == nil {
		return fallback(acts, "no chat model")
	}
	c.llmTurnsN++
	maxTurns := cfg.MaxTurns
	if maxTurns == 0 {
		maxTurns = DefaultLLMMaxTurns
	}
	if c.llmTurnsN > maxTurns {
		return fallback(acts, "max turns")
	}
	if len(c.llmMsgs) == 0 {
		c.llmMsgs = append(c.llmMsgs, ChatMessage{Role: "system", Content: c.llmSystemPrompt(cfg)})
		if n.Text != "" {
			c.llmMsgs = append(c.llmMsgs, ChatMessage{Role: "assistant", Content: Expand(n.Text, c.vars)})
		}
	}
	c.llmMsgs = append(c.llmMsgs, ChatMessage{Role: "user", Content: text})
	tools := cfg.Tools
	if len(tools) == 0 {
		tools = AllTools
	}
	nodes := make([]string, 0, len(c.s.Nodes))
	for _, nd := range c.s.Nodes {
		nodes = append(nodes, nd.ID)
	}
	req := ChatRequest{Messages: append([]ChatMessage(nil), c.llmMsgs...), Tools: tools, Nodes: nodes}
	budget := time.Duration(cfg.BudgetMs) * time.Millisecond
	if budget <= 0 {
		budget = DefaultLLMBudgetMs * time.Millisecond
	}
	// Sentences stream out as they complete: to the emitter when the
	// session gave one (so TTS starts on the first sentence), otherwise
	// into this turn's actions.
	var mu sync.Mutex
	var said []string
	blocked := false
	policy := c.listenPolicy(n)
	onSentence := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if c.banned(cfg, s) {
			if blocked {
				return
			}
			blocked = true
			s = c.safeLine()
		}
		said = append(said, s)
		if c.emit != nil {
			a := c.say(nil, s, "", policy, n.ID)
			for _, x := range a {
				c.emit(x)
			}
			return
		}
		acts = c.say(acts, s, "", policy, n.ID)
	}
	t0 := time.Now()
	r, err := withBudget(c.ctx, budget, func(ctx context.Context, emit func(string)) (LLMResult, error) {
		return c.chat.ChatStream(ctx, req, emit)
	}, onSentence)
	mu.Lock()
	defer mu.Unlock()
	turn := LLMTurn{Node: n.ID, Kind: "chat", LatencyMs: time.Since(t0).Milliseconds(), Usage: r.Usage}
	if err != nil {
		turn.Error = err.Error()
		turn.TimedOut = err == errBudget
		c.llmTurns = append(c.llmTurns, turn)
		return fallback(acts, turn.Error)
	}
	c.llmTurns = append(c.llmTurns, turn)
	c.llmMsgs = append(c.llmMsgs, ChatMessage{Role: "assistant", Content: strings.Join(said, "")})
	allowed := map[string]bool{}
	for _, t := range tools {
		allowed[t] = true
	}
	for _, tc := range r.ToolCalls {
		if !allowed[tc.Name] {
			continue
		}
		c.log(Entry{Who: "system", Node: n.ID, Event: "tool:" + tc.Name, Text: toolText(tc)})
		switch tc.Name {
		case "set_var":
			if name := tc.Args["name"]; name != "" {
				c.vars[name] = tc.Args["value"]
				acts = append(acts, SetVar{Name: name, Value: tc.Args["value"]})
			}
		case "set_tag":
			c.addTags(tc.Args["tag"])
		case "goto":
			if c.cs.nodes[tc.Args["node"]] != nil {
				return c.run(acts, tc.Args["node"])
			}
		case "transfer":
			return c.finish(acts, EndTransfer, "llm transfer", tc.Args["target"])
		case "hangup":
			return c.finish(acts, EndHangup, "llm hangup", "", tc.Args["text"])
		}
	}
	return c.wait(acts)
}

func toolText(tc ToolCall) string {
	var parts []string
	for _, k := range []string{"name", "value", "tag", "node", "target", "text"} {
		if v, ok := tc.Args[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}
