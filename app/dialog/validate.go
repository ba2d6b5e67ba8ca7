package dialog

import (
	"fmt"
	"slices"
	"strings"
)

// Issue is one validation finding, naming the node (or "script", "intent
// …", "global …", "test …") it is about.
type Issue struct {
	Where   string `json:"where"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"` // completeness gaps: allowed in drafts, listed for the author
}

func (i Issue) String() string {
	sev := "error"
	if i.Warning {
		sev = "warning"
	}
	return fmt.Sprintf("%s: %s: %s", sev, i.Where, i.Message)
}

// Errors filters out warnings.
func Errors(issues []Issue) []Issue {
	var out []Issue
	for _, i := range issues {
		if !i.Warning {
			out = append(out, i)
		}
	}
	return out
}

var validTypes = []string{NodeSay, NodeListen, NodeBranch, NodeDTMF, NodeSet, NodeTransfer, NodeHangup, NodeLLM}

// Validate checks a script: structure (missing, unreachable and dead-end
// nodes, loops without exit), content (empty lines, unknown variables,
// unknown intents), compliance (the opening disclosure must not be
// interruptible) and, as warnings, completeness (every waiting node answers
// silence, no match and every general intent).
func Validate(s *Script) []Issue {
	var out []Issue
	add := func(where, format string, a ...any) {
		out = append(out, Issue{Where: where, Message: fmt.Sprintf(format, a...)})
	}
	warn := func(where, format string, a ...any) {
		out = append(out, Issue{Where: where, Message: fmt.Sprintf(format, a...), Warning: true})
	}
	if strings.TrimSpace(s.Name) == "" {
		add("script", "name is empty")
	}
	if len(s.Nodes) == 0 {
		add("script", "has no nodes")
		return out
	}
	nodes := map[string]*Node{}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		where := "node " + n.ID
		if n.ID == "" {
			add(fmt.Sprintf("node #%d", i+1), "id is empty")
			continue
		}
		if nodes[n.ID] != nil {
			add(where, "id is used twice")
		}
		nodes[n.ID] = n
		if !slices.Contains(validTypes, n.Type) {
			add(where, "unknown type %q", n.Type)
		}
	}
	if nodes[s.Start] == nil {
		add("script", "start node %q does not exist", s.Start)
	}
	known := map[string]bool{}
	for _, in := range s.AllIntents() {
		known[in.Name] = true
	}
	for _, in := range s.Intents {
		if in.Name == "" {
			add("intent", "name is empty")
		}
		if len(in.Keywords)+len(in.Regexes)+len(in.Examples) == 0 {
			add("intent "+in.Name, "has no keywords, regexes or examples")
		}
	}
	if _, err := NewMatcher(s.AllIntents()); err != nil {
		add("intents", "%v", err)
	}
	// Variables a script may use: contact columns and variables it sets.
	vars := map[string]bool{}
	for _, v := range s.Vars {
		vars[v] = true
	}
	for _, n := range s.Nodes {
		if n.Type == NodeDTMF && n.Var != "" {
			vars[n.Var] = true
		}
		for k := range n.SetVars {
			vars[k] = true
		}
	}
	checkText := func(where, what, text string, required bool) {
		if required && strings.TrimSpace(text) == "" {
			add(where, "%s is empty", what)
		}
		for _, v := range VarRefs(text) {
			if !vars[v] {
				add(where, "%s uses ${%s}, which is not a contact column or a set variable", what, v)
			}
		}
	}
	ref := func(where, what, id string) {
		if id != "" && nodes[id] == nil {
			add(where, "%s goes to missing node %q", what, id)
		}
	}
	checkRetry := func(where, what string, r *Retry) {
		if r == nil {
			return
		}
		for i, l := range r.Lines {
			checkText(where, fmt.Sprintf("%s line %d", what, i+1), l, true)
		}
		ref(where, what, r.Next)
	}
	checkBarge := func(where string, b *BargeIn) {
		if b == nil {
			return
		}
		switch b.Mode {
		case "", BargeInOff:
		case BargeInAfter:
			if b.AfterMs <= 0 {
				add(where, "barge-in after needs after_ms > 0")
			}
		case BargeInIntents:
			if len(b.Intents) == 0 {
				add(where, "barge-in by intents lists no intents")
			}
			for _, in := range b.Intents {
				if !known[in] {
					add(where, "barge-in intent %q is not defined", in)
				}
			}
		default:
			add(where, "unknown barge-in mode %q", b.Mode)
		}
	}
	checkRetry("defaults", "silence", s.Defaults.Silence)
	checkRetry("defaults", "no-match", s.Defaults.NoMatch)
	checkBarge("defaults", s.Defaults.BargeIn)
	for i := range s.Nodes {
		n := &s.Nodes[i]
		where := "node " + n.ID
		checkBarge(where, n.BargeIn)
		switch n.Type {
		case NodeSay:
			if n.AudioURL == "" {
				checkText(where, "text", n.Text, true)
			}
			if n.Next == "" {
				add(where, "dead end: a say node needs next (end calls with a hangup node)")
			}
		case NodeSet:
			if len(n.Tags) == 0 && len(n.SetVars) == 0 {
				add(where, "sets nothing")
			}
			for k, v := range n.SetVars {
				checkText(where, "value of "+k, v, false)
			}
			if n.Next == "" {
				add(where, "dead end: a set node needs next")
			}
		case NodeListen, NodeDTMF, NodeLLM:
			checkText(where, "question", n.Text, false)
			checkRetry(where, "silence", n.Silence)
			checkRetry(where, "no-match", n.NoMatch)
			if n.Type == NodeDTMF && n.MaxDigits < 0 {
				add(where, "max_digits is negative")
			}
			if n.Type == NodeLLM {
				if n.LLM == nil || strings.TrimSpace(n.LLM.Prompt) == "" {
					add(where, "llm node needs a prompt")
				} else {
					checkText(where, "prompt", n.LLM.Prompt, true)
					ref(where, "llm fallback", n.LLM.Fallback)
					for _, t := range n.LLM.Tools {
						if !slices.Contains(AllTools, t) {
							add(where, "unknown tool %q", t)
						}
					}
				}
			}
		case NodeBranch:
			if n.Next == "" {
				add(where, "branch node needs a default next")
			}
		case NodeTransfer:
			checkText(where, "text", n.Text, false)
			if n.Target == "" {
				add(where, "transfer target is empty")
			}
		case NodeHangup:
			checkText(where, "closing line", n.Text, false)
		}
		ref(where, "next", n.Next)
		for bi, b := range n.Branches {
			bw := fmt.Sprintf("branch %d", bi+1)
			if b.Next == "" {
				add(where, "%s has no next", bw)
			}
			ref(where, bw, b.Next)
			for _, in := range b.Intents {
				if !known[in] {
					add(where, "%s uses undefined intent %q", bw, in)
				}
			}
			if len(b.Intents) == 0 && b.Digits == "" && b.Var == "" {
				add(where, "%s has no condition", bw)
			}
			if b.Var != "" && !vars[b.Var] {
				add(where, "%s tests ${%s}, which is not a contact column or a set variable", bw, b.Var)
			}
		}
	}
	for _, g := range s.Globals {
		where := "global " + g.Intent
		if !known[g.Intent] {
			add(where, "intent is not defined")
		}
		switch g.Action {
		case GlobalAnswer:
			checkText(where, "answer", g.Text, true)
		case GlobalRepeat:
			checkText(where, "text", g.Text, false)
		case GlobalGoto:
			if g.Next == "" {
				add(where, "goto needs next")
			}
			ref(where, "goto", g.Next)
			checkText(where, "text", g.Text, false)
		case GlobalHangup:
			checkText(where, "closing line", g.Text, false)
		case GlobalTransfer:
			if g.Target == "" {
				add(where, "transfer target is empty")
			}
			checkText(where, "text", g.Text, false)
		default:
			add(where, "unknown action %q", g.Action)
		}
	}
	for _, kb := range s.KB {
		where := "kb " + kb.ID
		checkText(where, "answer", kb.Answer, true)
		if kb.Question == "" && len(kb.Keywords) == 0 && len(kb.Examples) == 0 {
			add(where, "has no question, keywords or examples")
		}
	}
	for _, r := range s.Grading.Rules {
		if !slices.Contains(Grades, r.Grade) {
			add("grading", "rule grade %q is not one of A–F", r.Grade)
		}
	}
	if s.Grading.Default != "" && !slices.Contains(Grades, s.Grading.Default) {
		add("grading", "default grade %q is not one of A–F", s.Grading.Default)
	}
	if len(Errors(out)) > 0 {
		return out
	}
	out = append(out, graphIssues(s, nodes)...)
	out = append(out, disclosureIssues(s, nodes)...)
	for _, i := range completenessIssues(s) {
		warn(i.Where, "%s", i.Message)
	}
	return out
}

// edges lists where the flow may go from n (globals excluded).
func edges(n *Node) []string {
	var out []string
	add := func(id string) {
		if id != "" {
			out = append(out, id)
		}
	}
	add(n.Next)
	for _, b := range n.Branches {
		add(b.Next)
	}
	if n.Silence != nil {
		add(n.Silence.Next)
	}
	if n.NoMatch != nil {
		add(n.NoMatch.Next)
	}
	if n.LLM != nil {
		add(n.LLM.Fallback)
	}
	return out
}

func graphIssues(s *Script, nodes map[string]*Node) []Issue {
	var out []Issue
	succ := func(n *Node) []string {
		e := edges(n)
		if isWaiting(n.Type) {
			if n.Silence == nil && s.Defaults.Silence != nil && s.Defaults.Silence.Next != "" {
				e = append(e, s.Defaults.Silence.Next)
			}
			if n.NoMatch == nil && s.Defaults.NoMatch != nil && s.Defaults.NoMatch.Next != "" {
				e = append(e, s.Defaults.NoMatch.Next)
			}
			for _, g := range s.Globals {
				if g.Action == GlobalGoto {
					e = append(e, g.Next)
				}
			}
		}
		return e
	}
	// Reachability from the start.
	seen := map[string]bool{}
	stack := []string{s.Start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] || nodes[id] == nil {
			continue
		}
		seen[id] = true
		stack = append(stack, succ(nodes[id])...)
	}
	for _, n := range s.Nodes {
		if !seen[n.ID] {
			out = append(out, Issue{Where: "node " + n.ID, Message: "unreachable from the start node"})
		}
	}
	// Which nodes can still end the call (reach a hangup or transfer, or
	// a waiting node whose globals or retries end it)?
	ends := map[string]bool{}
	hasGlobalExit := false
	for _, g := range s.Globals {
		if g.Action == GlobalHangup || g.Action == GlobalTransfer {
			hasGlobalExit = true
		}
	}
	_ = hasGlobalExit
	for changed := true; changed; {
		changed = false
		for i := range s.Nodes {
			n := &s.Nodes[i]
			if ends[n.ID] {
				continue
			}
			ok := isTerminal(n.Type)
			if !ok && isWaiting(n.Type) {
				// Exhausted retries without a next end the call.
				r1, r2 := n.Silence, n.NoMatch
				if r1 == nil {
					r1 = s.Defaults.Silence
				}
				if r2 == nil {
					r2 = s.Defaults.NoMatch
				}
				if r1 == nil || r1.Next == "" || r2 == nil || r2.Next == "" {
					ok = true
				}
			}
			for _, e := range succ(n) {
				if ends[e] {
					ok = true
				}
			}
			if ok {
				ends[n.ID] = true
				changed = true
			}
		}
	}
	for _, n := range s.Nodes {
		if seen[n.ID] && !ends[n.ID] {
			out = append(out, Issue{Where: "node " + n.ID, Message: "loop without exit: no path from here reaches a hangup or transfer"})
		}
	}
	// Cycles that never wait for the callee spin forever.
	state := map[string]int{}
	var visit func(id string, trail []string)
	reported := map[string]bool{}
	visit = func(id string, trail []string) {
		n := nodes[id]
		if n == nil || isWaiting(n.Type) || isTerminal(n.Type) {
			return
		}
		if state[id] == 1 {
			if !reported[id] {
				reported[id] = true
				out = append(out, Issue{Where: "node " + id, Message: "loop without input: " + strings.Join(append(trail, id), " → ")})
			}
			return
		}
		if state[id] == 2 {
			return
		}
		state[id] = 1
		for _, e := range edges(n) {
			visit(e, append(trail, id))
		}
		state[id] = 2
	}
	for _, n := range s.Nodes {
		visit(n.ID, nil)
	}
	return out
}

// disclosureIssues: the first line a callee hears must be a say node that
// cannot be interrupted (the AI-disclosure line compliance requires).
func disclosureIssues(s *Script, nodes map[string]*Node) []Issue {
	id := s.Start
	for steps := 0; steps < len(s.Nodes); steps++ {
		n := nodes[id]
		if n == nil {
			return nil
		}
		switch n.Type {
		case NodeSet:
			id = n.Next
			continue
		case NodeSay:
			if n.BargeIn != nil && n.BargeIn.Mode != "" && n.BargeIn.Mode != BargeInOff {
				return []Issue{{Where: "node " + n.ID, Message: "the opening AI-disclosure line must not be interruptible (barge-in off)"}}
			}
			return nil
		default:
			return []Issue{{Where: "node " + n.ID, Message: "the call must open with a say node disclosing the AI assistant, not a " + n.Type + " node"}}
		}
	}
	return nil
}

// completenessIssues lists, per waiting node, the general intents nothing
// handles and missing silence / no-match handling.
func completenessIssues(s *Script) []Issue {
	var out []Issue
	handled := map[string]bool{IntentAskRepeat: true} // repeat is built in
	for _, g := range s.Globals {
		handled[g.Intent] = true
	}
	for _, n := range s.Nodes {
		if !isWaiting(n.Type) {
			continue
		}
		where := "node " + n.ID
		if n.Silence == nil && s.Defaults.Silence == nil {
			out = append(out, Issue{Where: where, Message: "no silence handling"})
		}
		if n.NoMatch == nil && s.Defaults.NoMatch == nil && n.Type != NodeLLM {
			out = append(out, Issue{Where: where, Message: "no no-match handling"})
		}
		if n.Type == NodeLLM || s.NoBuiltinIntents {
			continue
		}
		var missing []string
		for _, in := range GeneralIntentNames() {
			if handled[in] {
				continue
			}
			found := false
			for _, b := range n.Branches {
				if slices.Contains(b.Intents, in) {
					found = true
				}
			}
			if !found {
				missing = append(missing, in)
			}
		}
		if len(missing) > 0 {
			out = append(out, Issue{Where: where, Message: "general intents not handled: " + strings.Join(missing, ", ")})
		}
	}
	return out
}
