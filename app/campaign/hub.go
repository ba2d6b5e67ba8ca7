package campaign

import "sync"

// hub tells live views (SSE) in this process that a campaign changed. It
// carries no data, only a nudge to re-read the statistics; other processes'
// changes reach a live view through its periodic refresh.
type hub struct {
	mu   sync.Mutex
	subs map[uint64]map[chan struct{}]struct{} // campaign id -> subscribers
}

func newHub() *hub { return &hub{subs: map[uint64]map[chan struct{}]struct{}{}} }

func (h *hub) publish(_ uint64, campaignID uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[campaignID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Subscribe returns a channel nudged when the campaign changes, and a
// function to stop.
func (s *Service) Subscribe(campaignID uint64) (<-chan struct{}, func()) {
	h := s.hub
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[campaignID] == nil {
		h.subs[campaignID] = map[chan struct{}]struct{}{}
	}
	h.subs[campaignID][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[campaignID], ch)
		if len(h.subs[campaignID]) == 0 {
			delete(h.subs, campaignID)
		}
		h.mu.Unlock()
	}
}
