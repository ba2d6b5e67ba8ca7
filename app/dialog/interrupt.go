package dialog

// InterruptibleNodes lists the nodes whose line the callee may interrupt
// (barge-in not off), applying the script default to listen nodes as the
// runtime does. The console warns when such a script runs where barge-in is
// impossible (utterance mode: the answer is recorded after the line ends).
func InterruptibleNodes(s *Script) []string {
	if s == nil {
		return nil
	}
	var out []string
	for i := range s.Nodes {
		n := &s.Nodes[i]
		p := n.BargeIn
		if p == nil && n.Type == NodeListen {
			p = s.Defaults.BargeIn
		}
		switch n.Type {
		case NodeSay, NodeListen, NodeDTMF, NodeLLM:
		default:
			continue
		}
		if p != nil && p.Mode != "" && p.Mode != BargeInOff {
			out = append(out, n.ID)
		}
	}
	return out
}
