package dialog

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestBadScriptsNeverPanic mutates templates at random (dropped nodes,
// dangling references, wrong types, empty fields) and checks that
// validation, script tests and calls never panic and calls always end or
// wait, whatever the script.
func TestBadScriptsNeverPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	lines := []string{"是的", "不需要", "<silence>", "<dtmf:1>", "转人工", "", "<error>", "嗯", "多少钱", "我已经还了"}
	for i := 0; i < 100; i++ {
		name := TemplateNames[i%len(TemplateNames)]
		s, _ := Template(name)
		for k := 0; k < 1+rng.IntN(4); k++ {
			if len(s.Nodes) == 0 {
				break
			}
			j := rng.IntN(len(s.Nodes))
			n := &s.Nodes[j]
			switch rng.IntN(8) {
			case 0:
				s.Nodes = append(s.Nodes[:j], s.Nodes[j+1:]...)
			case 1:
				n.Next = "missing"
			case 2:
				n.Type = []string{"say", "listen", "dtmf", "branch", "llm", "bogus", ""}[rng.IntN(7)]
			case 3:
				n.Branches = append(n.Branches, Branch{Intents: []string{"nope"}, Next: n.ID})
			case 4:
				n.Text = "${undefined_var}"
			case 5:
				s.Start = "gone"
			case 6:
				n.Silence = &Retry{Lines: []string{""}, Next: n.ID}
				n.NoMatch = &Retry{Next: n.ID}
			case 7:
				s.Globals = append(s.Globals, Global{Intent: IntentAffirm, Action: "goto", Next: "missing"})
			}
		}
		// Through JSON, as an import would arrive.
		b, _ := json.Marshal(s)
		p, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		_ = Validate(p)
		_ = RunTests(p)
		c := NewCall(p, map[string]string{"name": "x"})
		c.Start()
		for k := 0; k < 12 && !c.Ended(); k++ {
			c.Reply(lines[rng.IntN(len(lines))])
		}
		_ = c.Result()
	}
	for _, junk := range []string{``, `{`, `[]`, `{"nodes":"x"}`, `{"nodes":[{"id":1}]}`, `{"surprise":1}`, `null`} {
		if _, err := Parse([]byte(junk)); err == nil && junk != `null` {
			t.Errorf("Parse(%q) accepted junk", junk)
		}
	}
	// An empty script is refused by validation and hangs up at once when run.
	empty := &Script{}
	if len(Errors(Validate(empty))) == 0 {
		t.Fatal("empty script validated")
	}
	acts := NewCall(empty, nil).Start()
	if _, ok := acts[len(acts)-1].(Hangup); !ok {
		t.Fatalf("empty script: %v", acts)
	}
}
