package switchsim

import "strings"

type audioStreamState struct {
	url string
}

// audioStream implements the replies of mod_audio_stream's API
// (audio-stream.md §1): start needs an (early-)answered channel and a
// ws:// or wss:// URL; a second start while attached and stop without a
// stream fail with "-ERR Operation Failed".
func (c *call) audioStream(args []string, rest string) string {
	verb := strings.ToLower(args[1])
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.streams == nil {
		c.streams = map[string]*audioStreamState{}
	}
	cur := c.streams["default"]
	switch verb {
	case "start":
		if len(args) < 3 || cur != nil || (c.answeredAt.IsZero() && c.mediaAt.IsZero()) {
			return "-ERR Operation Failed\n"
		}
		u := args[2]
		if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
			return "-ERR Operation Failed\n"
		}
		c.streams["default"] = &audioStreamState{url: u}
		return "+OK Success\n"
	case "stop":
		if cur == nil {
			return "-ERR Operation Failed\n"
		}
		delete(c.streams, "default")
		return "+OK Success\n"
	case "pause", "resume":
		if cur == nil {
			return "-ERR Operation Failed\n"
		}
		return "+OK Success\n"
	case "send_text":
		if len(args) < 3 {
			return "-ERR no reply\n"
		}
		return "+OK Success\n"
	}
	return "-ERR Operation Failed\n"
}
