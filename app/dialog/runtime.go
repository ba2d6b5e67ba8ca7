package dialog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Default timings.
const (
	DefaultSilenceMs = 5000
	DefaultDTMFMs    = 8000
	maxSteps         = 200 // nodes entered without waiting for the callee
)

// End reasons.
const (
	EndHangup       = "hangup"
	EndTransfer     = "transfer"
	EndCallerHangup = "caller_hangup"
)

// Entry is one line of a call's timeline.
type Entry struct {
	AtMs       int64   `json:"at_ms"`
	Who        string  `json:"who"` // robot, callee, system
	Node       string  `json:"node,omitempty"`
	Text       string  `json:"text,omitempty"`
	Event      string  `json:"event,omitempty"`
	Intent     string  `json:"intent,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Source     string  `json:"source,omitempty"`
	// PlayedMs is how much of a line the callee heard before a barge-in
	// broke it (call control measures it).
	PlayedMs int `json:"played_ms,omitempty"`
}

// IntentHit is an intent recognized during the call.
type IntentHit struct {
	Node       string  `json:"node"`
	Text       string  `json:"text"`
	Intent     string  `json:"intent"`
	Confidence float64 `json:"confidence"`
	Source     string  `json:"source"`
}

// LLMTurn is one model request: fallback classification or LLM node turn.
type LLMTurn struct {
	Node      string `json:"node"`
	Kind      string `json:"kind"` // classify, chat
	LatencyMs int64  `json:"latency_ms"`
	TimedOut  bool   `json:"timed_out,omitempty"`
	Error     string `json:"error,omitempty"`
	Usage     Usage  `json:"usage"`
}

// Result is what a call produced, for the campaign and the results screen.
type Result struct {
	Grade        string            `json:"grade"`
	Tags         []string          `json:"tags"`
	Vars         map[string]string `json:"vars"`
	Path         []string          `json:"path"`
	Ended        bool              `json:"ended"`
	End          string            `json:"end,omitempty"`
	EndReason    string            `json:"end_reason,omitempty"`
	TransferTo   string            `json:"transfer_to,omitempty"`
	Node         string            `json:"node,omitempty"` // where the call is (or ended)
	Turns        int               `json:"turns"`
	DurationMs   int64             `json:"duration_ms"`
	Timeline     []Entry           `json:"timeline"`
	Intents      []IntentHit       `json:"intents"`
	LLM          []LLMTurn         `json:"llm,omitempty"`
	LLMCostMilli int64             `json:"llm_cost_milli_fen"`
}

// Option configures a call.
type Option func(*Call)

// WithClock sets the time source (tests, replays).
func WithClock(now func() time.Time) Option { return func(c *Call) { c.now = now } }

// WithClassifier enables the script's LLM fallback through cl.
func WithClassifier(cl IntentClassifier) Option { return func(c *Call) { c.classifier = cl } }

// WithChatModel provides the model for LLM nodes.
func WithChatModel(m ChatModel) Option { return func(c *Call) { c.chat = m } }

// WithEmitter streams LLM-node lines: each sentence is passed to emit as a
// Say the moment it is complete instead of being returned from Handle.
func WithEmitter(emit func(Action)) Option { return func(c *Call) { c.emit = emit } }

// withCompiled reuses an already compiled script (test runs).
func withCompiled(cs *Compiled) Option { return func(c *Call) { c.cs = cs } }

// WithContext bounds model requests (the call's context).
func WithContext(ctx context.Context) Option { return func(c *Call) { c.ctx = ctx } }

// Call is one conversation. It is not safe for concurrent use: the call
// session feeds it events one at a time.
type Call struct {
	cs         *Compiled
	s          *Script
	vars       map[string]string
	tags       []string
	now        func() time.Time
	start      time.Time
	ctx        context.Context
	classifier IntentClassifier
	chat       ChatModel
	emit       func(Action)

	waiting    *Node
	playing    int     // Say actions not yet reported done
	policy     BargeIn // of the last line said
	silenceN   int
	noMatchN   int
	ended      bool
	end        string
	endReason  string
	transferTo string
	turns      int
	path       []string
	timeline   []Entry
	intents    []IntentHit
	llmTurns   []LLMTurn
	llmMsgs    []ChatMessage
	llmTurnsN  int
	err        error
}

// NewCall starts a conversation over s with the contact's variables. If
// the script does not compile the call says nothing and hangs up
// (Start returns that Hangup), so a bad script never stalls a line.
func NewCall(s *Script, vars map[string]string, opts ...Option) *Call {
	c := &Call{s: s, vars: map[string]string{}, now: time.Now, ctx: context.Background()}
	for k, v := range vars {
		c.vars[k] = v
	}
	for _, o := range opts {
		o(c)
	}
	if c.cs == nil {
		if cached, ok := compileCache.Load(s); ok {
			c.cs = cached.(*Compiled)
		} else {
			c.cs, c.err = compile(s)
		}
	}
	return c
}

// Start returns the opening actions.
func (c *Call) Start() []Action {
	c.start = c.now()
	if c.err != nil {
		return c.finish(nil, EndHangup, "script error: "+c.err.Error(), "")
	}
	return c.run(nil, c.s.Start)
}

// Ended reports whether the call is over.
func (c *Call) Ended() bool { return c.ended }

// Node is the node waiting for the callee ("" when none).
func (c *Call) Node() string {
	if c.waiting == nil {
		return ""
	}
	return c.waiting.ID
}

// Handle consumes one event and returns what to do next.
func (c *Call) Handle(ev Event) []Action {
	if c.ended {
		return nil
	}
	switch e := ev.(type) {
	case PlaybackDone:
		if c.playing > 0 {
			c.playing--
		}
		return nil
	case BargedIn:
		if c.playing > 0 && c.policy.Mode == BargeInAfter && e.PlayedMs >= c.policy.AfterMs {
			c.playing = 0
			c.log(Entry{Who: "system", Event: "barge_in"})
			return []Action{StopPlayback{}}
		}
		return nil
	case Heard:
		return c.onHeard(e)
	case DTMF:
		return c.onDTMF(e)
	case Silence:
		c.log(Entry{Who: "callee", Event: "silence"})
		return c.retry(nil, true)
	case EngineError:
		c.log(Entry{Who: "system", Event: "engine_error", Text: e.Err})
		return c.retry(nil, false)
	case CallerHangup:
		c.log(Entry{Who: "callee", Event: "hangup"})
		c.ended, c.end, c.endReason = true, EndCallerHangup, "caller hung up"
		c.waiting = nil
		return nil
	}
	return nil
}

// Note records a call-control fact in the timeline (a barge-in with the
// milliseconds played, an audio-stream failure and its reason code) so the
// call record says what the callee heard and how the robot listened.
func (c *Call) Note(e Entry) {
	if e.Who == "" {
		e.Who = "system"
	}
	c.log(e)
}

func (c *Call) elapsed() int64 { return c.now().Sub(c.start).Milliseconds() }

func (c *Call) log(e Entry) {
	e.AtMs = c.elapsed()
	c.timeline = append(c.timeline, e)
}

func (c *Call) addTags(tags ...string) {
	for _, t := range tags {
		if t != "" && !slices.Contains(c.tags, t) {
			c.tags = append(c.tags, t)
		}
	}
}

func (c *Call) say(acts []Action, text, audio string, p BargeIn, node string) []Action {
	text = Expand(text, c.vars)
	if text == "" && audio == "" {
		return acts
	}
	if p.Mode == "" {
		p.Mode = BargeInOff
	}
	c.playing++
	c.policy = p
	c.log(Entry{Who: "robot", Node: node, Text: text})
	return append(acts, Say{Text: text, AudioURL: audio, BargeIn: p, Node: node})
}

func (c *Call) listenPolicy(n *Node) BargeIn {
	if n.BargeIn != nil {
		return *n.BargeIn
	}
	if n.Type == NodeListen && c.s.Defaults.BargeIn != nil {
		return *c.s.Defaults.BargeIn
	}
	return BargeIn{Mode: BargeInOff}
}

// run enters node id and keeps going until the callee must speak.
func (c *Call) run(acts []Action, id string) []Action {
	for steps := 0; ; steps++ {
		if steps > maxSteps {
			return c.finish(acts, EndHangup, "loop without input", "")
		}
		n := c.cs.nodes[id]
		if n == nil {
			return c.finish(acts, EndHangup, fmt.Sprintf("missing node %q", id), "")
		}
		c.path = append(c.path, id)
		c.waiting = nil
		c.silenceN, c.noMatchN = 0, 0
		switch n.Type {
		case NodeSay:
			acts = c.say(acts, n.Text, n.AudioURL, c.listenPolicy(n), n.ID)
			id = n.Next
		case NodeSet:
			c.addTags(n.Tags...)
			keys := make([]string, 0, len(n.SetVars))
			for k := range n.SetVars {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				v := Expand(n.SetVars[k], c.vars)
				c.vars[k] = v
				acts = append(acts, SetVar{Name: k, Value: v})
			}
			id = n.Next
		case NodeBranch:
			id = c.branch(n)
		case NodeListen, NodeDTMF, NodeLLM:
			acts = c.say(acts, n.Text, n.AudioURL, c.listenPolicy(n), n.ID)
			c.waiting = n
			return c.wait(acts)
		case NodeTransfer:
			acts = c.say(acts, n.Text, n.AudioURL, BargeIn{Mode: BargeInOff}, n.ID)
			return c.finish(acts, EndTransfer, "transfer node", n.Target)
		case NodeHangup:
			return c.finish(acts, EndHangup, "hangup node", "", n.Text)
		default:
			return c.finish(acts, EndHangup, fmt.Sprintf("node %q: unknown type %q", n.ID, n.Type), "")
		}
		if id == "" {
			return c.finish(acts, EndHangup, "dead end at "+n.ID, "")
		}
	}
}

// wait appends the input action for the waiting node.
func (c *Call) wait(acts []Action) []Action {
	n := c.waiting
	if n.Type == NodeDTMF {
		t := n.TimeoutMs
		if t == 0 {
			t = DefaultDTMFMs
		}
		return append(acts, CollectDTMF{MaxDigits: max(n.MaxDigits, 1), TimeoutMs: t, Terminator: n.Terminator, Node: n.ID})
	}
	t := n.TimeoutMs
	if t == 0 {
		t = c.s.Defaults.SilenceMs
	}
	if t == 0 {
		t = DefaultSilenceMs
	}
	return append(acts, Listen{TimeoutMs: t, Expect: c.cs.expect[n.ID], Node: n.ID})
}

func (c *Call) finish(acts []Action, end, reason, target string, closing ...string) []Action {
	c.ended, c.end, c.endReason, c.waiting = true, end, reason, nil
	if end == EndTransfer {
		c.transferTo = target
		c.addTags("transferred")
		c.log(Entry{Who: "system", Event: "transfer", Text: target})
		return append(acts, Transfer{Target: target})
	}
	text := ""
	if len(closing) > 0 {
		text = Expand(closing[0], c.vars)
	}
	if text != "" {
		c.log(Entry{Who: "robot", Text: text, Event: "hangup"})
	} else {
		c.log(Entry{Who: "system", Event: "hangup", Text: reason})
	}
	return append(acts, Hangup{Text: text, Reason: reason})
}

func (c *Call) branch(n *Node) string {
	last := ""
	if len(c.intents) > 0 {
		last = c.intents[len(c.intents)-1].Intent
	}
	for _, b := range n.Branches {
		if b.Var != "" {
			if c.vars[b.Var] == Expand(b.Equals, c.vars) {
				c.addTags(b.Tags...)
				return b.Next
			}
			continue
		}
		if slices.Contains(b.Intents, last) {
			c.addTags(b.Tags...)
			return b.Next
		}
	}
	return n.Next
}

func (c *Call) onHeard(e Heard) []Action {
	if c.waiting == nil || !e.Final {
		return nil
	}
	text := strings.TrimSpace(e.Text)
	var acts []Action
	if c.playing > 0 {
		// The callee spoke over a line: the line's policy decides.
		switch c.policy.Mode {
		case BargeInAfter:
			if e.PlayedMs < c.policy.AfterMs {
				c.log(Entry{Who: "callee", Text: text, Event: "ignored_during_playback"})
				return nil
			}
		case BargeInIntents:
			m := c.cs.Matcher.Classify(text)
			if !slices.Contains(c.policy.Intents, m.Intent) {
				c.log(Entry{Who: "callee", Text: text, Event: "ignored_during_playback", Intent: m.Intent, Confidence: m.Confidence})
				return nil
			}
		default:
			c.log(Entry{Who: "callee", Text: text, Event: "ignored_during_playback"})
			return nil
		}
		c.playing = 0
		acts = append(acts, StopPlayback{})
	}
	c.turns++
	if min := c.s.Defaults.MinASRConfidence; e.Confidence > 0 && e.Confidence < min {
		c.log(Entry{Who: "callee", Node: c.waiting.ID, Text: text, Event: "low_asr_confidence", Confidence: e.Confidence})
		return c.retry(acts, false)
	}
	if c.waiting.Type == NodeLLM {
		return c.llmTurn(acts, text)
	}
	m := c.cs.Matcher.Classify(text)
	if m.Intent == "" && c.waiting.Type == NodeDTMF && isDigits(m.Normalized) {
		c.log(Entry{Who: "callee", Node: c.waiting.ID, Text: text, Event: "digits"})
		return c.onDigits(acts, m.Normalized)
	}
	if m.Intent == "" && c.s.LLMFallback != nil && c.classifier != nil {
		m = c.llmClassify(text, m)
	}
	c.log(Entry{Who: "callee", Node: c.waiting.ID, Text: text, Intent: m.Intent, Confidence: m.Confidence, Source: m.Source})
	if m.Intent != "" {
		c.intents = append(c.intents, IntentHit{Node: c.waiting.ID, Text: text, Intent: m.Intent, Confidence: m.Confidence, Source: m.Source})
	}
	return c.route(acts, m.Intent)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// route decides what an intent means at the waiting node: the node's own
// branch, else a global handler or KB answer, else the no-match path.
func (c *Call) route(acts []Action, intent string) []Action {
	n := c.waiting
	if intent != "" {
		for _, b := range n.Branches {
			if slices.Contains(b.Intents, intent) {
				c.addTags(b.Tags...)
				return c.run(acts, b.Next)
			}
		}
		if g := c.cs.globals[intent]; g != nil {
			return c.global(acts, g)
		}
		if kb := c.cs.kb[intent]; kb != nil {
			acts = c.say(acts, kb.Answer, "", c.listenPolicy(n), n.ID)
			acts = c.reprompt(acts, true)
			return c.wait(acts)
		}
		if intent == IntentAskRepeat {
			acts = c.reprompt(acts, true)
			return c.wait(acts)
		}
	}
	return c.retry(acts, false)
}

func (c *Call) reprompt(acts []Action, on bool) []Action {
	if on && c.waiting != nil {
		acts = c.say(acts, c.waiting.Text, c.waiting.AudioURL, c.listenPolicy(c.waiting), c.waiting.ID)
	}
	return acts
}

func (c *Call) global(acts []Action, g *Global) []Action {
	c.addTags(g.Tags...)
	n := c.waiting
	switch g.Action {
	case GlobalAnswer:
		acts = c.say(acts, g.Text, "", c.listenPolicy(n), n.ID)
		acts = c.reprompt(acts, g.Reprompt)
		return c.wait(acts)
	case GlobalRepeat:
		acts = c.say(acts, g.Text, "", c.listenPolicy(n), n.ID)
		acts = c.reprompt(acts, true)
		return c.wait(acts)
	case GlobalGoto:
		acts = c.say(acts, g.Text, "", c.listenPolicy(n), n.ID)
		return c.run(acts, g.Next)
	case GlobalTransfer:
		acts = c.say(acts, g.Text, "", BargeIn{Mode: BargeInOff}, n.ID)
		return c.finish(acts, EndTransfer, "global "+g.Intent, g.Target)
	case GlobalHangup:
		return c.finish(acts, EndHangup, "global "+g.Intent, "", g.Text)
	}
	return c.retry(acts, false)
}

// retry handles silence or no match at the waiting node: the next fallback
// line and listen again, or, once the lines are used up, the retry's Next.
func (c *Call) retry(acts []Action, silence bool) []Action {
	n := c.waiting
	if n == nil {
		return acts
	}
	r := n.NoMatch
	if silence {
		r = n.Silence
	}
	if r == nil {
		if silence {
			r = c.s.Defaults.Silence
		} else {
			r = c.s.Defaults.NoMatch
		}
	}
	count := &c.noMatchN
	if silence {
		count = &c.silenceN
	}
	if r != nil && *count < len(r.Lines) {
		line := r.Lines[*count]
		*count++
		acts = c.say(acts, line, "", c.listenPolicy(n), n.ID)
		return c.wait(acts)
	}
	if r != nil && r.Next != "" {
		if silence {
			c.addTags("no_response")
		}
		return c.run(acts, r.Next)
	}
	why := "no match"
	if silence {
		why = "silence"
	}
	return c.finish(acts, EndHangup, why+" retries exhausted at "+n.ID, "")
}

func (c *Call) onDTMF(e DTMF) []Action {
	if c.waiting == nil {
		return nil
	}
	c.log(Entry{Who: "callee", Node: c.waiting.ID, Event: "dtmf", Text: e.Digits})
	return c.onDigits(nil, e.Digits)
}

func (c *Call) onDigits(acts []Action, digits string) []Action {
	n := c.waiting
	if n.Type == NodeDTMF && n.Var != "" {
		c.vars[n.Var] = digits
		acts = append(acts, SetVar{Name: n.Var, Value: digits})
	}
	for _, b := range n.Branches {
		if b.Digits != "" && b.Digits == digits {
			c.addTags(b.Tags...)
			return c.run(acts, b.Next)
		}
	}
	if n.Type == NodeDTMF && n.Next != "" {
		return c.run(acts, n.Next)
	}
	return c.retry(acts, false)
}

func (c *Call) llmClassify(text string, m Match) Match {
	budget := time.Duration(c.s.LLMFallback.BudgetMs) * time.Millisecond
	if budget <= 0 {
		budget = 800 * time.Millisecond
	}
	names := c.cs.Matcher.Intents()
	t0 := time.Now()
	r, err := withBudget(c.ctx, budget, func(ctx context.Context, _ func(string)) (LLMResult, error) {
		return c.classifier.ClassifyIntent(ctx, text, names, c.s.LLMFallback.PromptHint)
	}, nil)
	turn := LLMTurn{Node: c.waiting.ID, Kind: "classify", LatencyMs: time.Since(t0).Milliseconds(), Usage: r.Usage}
	if err != nil {
		turn.Error = err.Error()
		turn.TimedOut = err == errBudget
	}
	c.llmTurns = append(c.llmTurns, turn)
	if err != nil || !slices.Contains(names, r.Intent) || r.Confidence < c.s.LLMFallback.MinConf {
		return m
	}
	m.Intent, m.Confidence, m.Source, m.Evidence = r.Intent, r.Confidence, "llm", ""
	return m
}

// Result is the call's outcome so far (final once Ended).
func (c *Call) Result() Result {
	var dur int64
	if !c.start.IsZero() {
		dur = c.elapsed()
	}
	names := make([]string, len(c.intents))
	for i, h := range c.intents {
		names[i] = h.Intent
	}
	grade := c.s.Grading.Grade(GradeInput{Tags: c.tags, Intents: names, Turns: c.turns, Seconds: int(dur / 1000)})
	var cost int64
	for _, t := range c.llmTurns {
		cost += t.Usage.CostMilliFen
	}
	vars := make(map[string]string, len(c.vars))
	for k, v := range c.vars {
		vars[k] = v
	}
	r := Result{
		Grade: grade, Tags: append([]string{}, c.tags...), Vars: vars, Path: append([]string{}, c.path...),
		Ended: c.ended, End: c.end, EndReason: c.endReason, TransferTo: c.transferTo, Node: c.Node(),
		Turns: c.turns, DurationMs: dur, Timeline: append([]Entry{}, c.timeline...),
		Intents: append([]IntentHit{}, c.intents...), LLM: append([]LLMTurn(nil), c.llmTurns...), LLMCostMilli: cost,
	}
	if r.Node == "" && len(r.Path) > 0 {
		r.Node = r.Path[len(r.Path)-1]
	}
	return r
}

// Reply is a convenience for text drivers (chat, tests, the console): it
// finishes any playing lines, then delivers line as final speech. Special
// lines: "<silence>", "<dtmf:123>", "<hangup>", "<error>".
func (c *Call) Reply(line string) []Action {
	for c.playing > 0 {
		c.Handle(PlaybackDone{})
	}
	line = strings.TrimSpace(line)
	switch {
	case line == "<silence>" || line == "":
		return c.Handle(Silence{})
	case line == "<hangup>":
		return c.Handle(CallerHangup{})
	case line == "<error>":
		return c.Handle(EngineError{Err: "simulated"})
	case strings.HasPrefix(line, "<dtmf:") && strings.HasSuffix(line, ">"):
		return c.Handle(DTMF{Digits: line[6 : len(line)-1]})
	}
	return c.Handle(Heard{Text: line, Confidence: 1, Final: true})
}

// AttemptFields renders a result for store.CallAttempt's Tags, Vars and
// Timeline columns: tags as a JSON array, vars as a JSON object, and the
// whole result (timeline, intents, path, LLM turns) as the timeline JSON.
func (r Result) AttemptFields() (tags, vars, timeline string) {
	t, _ := json.Marshal(r.Tags)
	v, _ := json.Marshal(r.Vars)
	tl, _ := json.Marshal(r)
	return string(t), string(v), string(tl)
}
