package switchsim

// Network faults for resilience tests. A real FreeSWITCH does not hang up
// its channels when an event-socket client goes away: an inbound ESL
// connection is only a listener (mod_event_socket.c), and the calls it
// originated belong to the core. So a cut connection loses events, not
// calls, and the CDRs are still posted over HTTP.

// DropESL cuts every inbound event-socket connection at once, as a network
// cut between waihu and FreeSWITCH would (no goodbye, no disconnect
// notice). With hold, new inbound connections are refused (closed at
// accept) until ResumeESL, so the cut lasts as long as the test needs.
// Outbound `socket` sessions are not touched. It returns how many
// connections it cut.
func (s *Sim) DropESL(hold bool) int {
	s.refuseESL.Store(hold)
	s.mu.Lock()
	var cut []*conn
	for c := range s.listeners {
		if c.call == nil { // inbound; an outbound session that subscribed stays
			cut = append(cut, c)
		}
	}
	s.mu.Unlock()
	for _, c := range cut {
		c.kill()
	}
	return len(cut)
}

// ResumeESL accepts inbound connections again after DropESL(true).
func (s *Sim) ResumeESL() { s.refuseESL.Store(false) }

// DropSession cuts the outbound `socket` connection of a live call without
// hanging the call up, as a network cut or a crashed waihu would. As in
// FreeSWITCH's async socket mode the channel stays parked until someone
// kills it (uuid_kill) or the callee hangs up. It reports whether the call
// had a socket to cut.
func (s *Sim) DropSession(uuid string) bool {
	s.mu.Lock()
	c := s.calls[uuid]
	s.mu.Unlock()
	if c == nil {
		return false
	}
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return false
	}
	sess.kill()
	return true
}
