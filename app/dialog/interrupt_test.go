package dialog

import (
	"slices"
	"testing"
)

func TestInterruptibleNodes(t *testing.T) {
	s := &Script{Defaults: Defaults{BargeIn: &BargeIn{Mode: BargeInAfter, AfterMs: 500}}, Nodes: []Node{
		{ID: "disclosure", Type: NodeSay},
		{ID: "ask", Type: NodeListen},
		{ID: "keys", Type: NodeDTMF},
		{ID: "off", Type: NodeListen, BargeIn: &BargeIn{Mode: BargeInOff}},
		{ID: "loud", Type: NodeSay, BargeIn: &BargeIn{Mode: BargeInIntents, Intents: []string{"deny"}}},
		{ID: "bye", Type: NodeHangup},
	}}
	if got := InterruptibleNodes(s); !slices.Equal(got, []string{"ask", "loud"}) {
		t.Fatalf("got %v, want [ask loud]", got)
	}
}
