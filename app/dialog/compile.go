package dialog

import (
	"fmt"
	"strings"
	"sync"
)

// Compiled is the per-version, read-only form of a script that calls share:
// the intent matcher and node index. Build it once per version.
type Compiled struct {
	Script  *Script
	Matcher *Matcher
	nodes   map[string]*Node
	kb      map[string]*KBEntry
	globals map[string]*Global
	// expect holds hot words per waiting node for grammar-based ASR: the
	// node's own Expect, or the first keywords of the intents it branches on.
	expect map[string][]string
}

var compileCache sync.Map // *Script → *Compiled

// Compile builds the matcher for s (built-in intents unless disabled,
// replaced by script intents of the same name, plus the knowledge base as
// "kb:<id>" intents) and caches it by pointer: NewCall on a compiled script
// reuses it. Compile only scripts that live long (a published version) and
// do not change them afterwards; NewCall on an uncompiled script (a draft,
// a test run) compiles a private copy that is not cached.
func Compile(s *Script) (*Compiled, error) {
	if c, ok := compileCache.Load(s); ok {
		return c.(*Compiled), nil
	}
	c, err := compile(s)
	if err != nil {
		return nil, err
	}
	actual, _ := compileCache.LoadOrStore(s, c)
	return actual.(*Compiled), nil
}

// Forget drops a script from the compile cache (after editing a draft).
func Forget(s *Script) { compileCache.Delete(s) }

func compile(s *Script) (*Compiled, error) {
	c := &Compiled{Script: s, nodes: map[string]*Node{}, kb: map[string]*KBEntry{}, globals: map[string]*Global{}, expect: map[string][]string{}}
	for i := range s.Nodes {
		c.nodes[s.Nodes[i].ID] = &s.Nodes[i]
	}
	for i := range s.Globals {
		c.globals[s.Globals[i].Intent] = &s.Globals[i]
	}
	all := s.AllIntents()
	m, err := NewMatcher(all)
	if err != nil {
		return nil, fmt.Errorf("compile script %q: %w", s.Name, err)
	}
	byName := map[string]*Intent{}
	for i := range all {
		byName[all[i].Name] = &all[i]
	}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if !isWaiting(n.Type) {
			continue
		}
		if len(n.Expect) > 0 {
			c.expect[n.ID] = n.Expect
			continue
		}
		var words []string
		for _, b := range n.Branches {
			for _, name := range b.Intents {
				if in := byName[name]; in != nil {
					for k, kw := range in.Keywords {
						if k >= 3 || len(words) >= 30 {
							break
						}
						// Hot words in the script's language only.
						if kw != "" && (s.Lang == "en") == (kw[0] < 0x80) {
							words = append(words, kw)
						}
					}
				}
			}
		}
		c.expect[n.ID] = words
	}
	for i := range s.KB {
		c.kb["kb:"+s.KB[i].ID] = &s.KB[i]
	}
	c.Matcher = m
	return c, nil
}

// AllIntents is the intent set the script matches: the general library
// (unless NoBuiltinIntents), script intents (replacing built-ins of the same
// name) and KB entries as "kb:<id>".
func (s *Script) AllIntents() []Intent {
	var out []Intent
	own := map[string]bool{}
	for _, in := range s.Intents {
		own[in.Name] = true
	}
	if !s.NoBuiltinIntents {
		for _, in := range BuiltinIntents() {
			if !own[in.Name] {
				out = append(out, in)
			}
		}
	}
	out = append(out, s.Intents...)
	for _, kb := range s.KB {
		ex := kb.Examples
		if kb.Question != "" {
			ex = append([]string{kb.Question}, ex...)
		}
		out = append(out, Intent{Name: "kb:" + kb.ID, Priority: 1, Keywords: kb.Keywords, Examples: ex})
	}
	return out
}

// IsKB reports whether an intent name is a knowledge-base entry.
func IsKB(intent string) bool { return strings.HasPrefix(intent, "kb:") }
