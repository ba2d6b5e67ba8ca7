package stream

import "testing"

// Bodies as recorded in freeswitch-traces/audio-stream-esl.jsonl.
func TestParseModuleEvent(t *testing.T) {
	tests := []struct {
		sub, body string
		want      ModuleEvent
		err       bool
	}{
		{SubclassConnect, `{"status":"connected"}`, ModuleEvent{Kind: "connect"}, false},
		{SubclassDisconnect, `{"status":"disconnected","message":{"code":1000,"reason":"server bye"}}`, ModuleEvent{Kind: "disconnect", Code: 1000, Error: "server bye", Attached: true}, false},
		{SubclassError, `{"status":"error","message":{"code":6,"error":"Connection refused (system error 111)"}}`, ModuleEvent{Kind: "error", Code: 6, Error: "Connection refused (system error 111)"}, false},
		{SubclassError, `{"status":"error","message":{"code":6,"error":"WebSocket upgrade failed"}}`, ModuleEvent{Kind: "error", Code: 6, Error: "WebSocket upgrade failed"}, false},
		{SubclassError, `{"status":"error","message":{"code":10,"error":"Timeout"}}`, ModuleEvent{Kind: "error", Code: 10, Error: "Timeout"}, false},
		{SubclassError, `{"status":"error","message":{"code":1,"error":"Connection closed without WebSocket CLOSE (abnormal EOF)"}}`, ModuleEvent{Kind: "error", Code: 1, Error: "Connection closed without WebSocket CLOSE (abnormal EOF)"}, false},
		{SubclassJSON, `not json at all`, ModuleEvent{Kind: "json"}, false},
		{SubclassPlay, `{"audioDataType":"wav","file":"/tmp/x_1.tmp.wav"}`, ModuleEvent{Kind: "play"}, false},
		{SubclassError, `{broken`, ModuleEvent{}, true},
		{"mod_audio_stream::quad", `{}`, ModuleEvent{}, true},
		{"waihu::sim_speech", `{}`, ModuleEvent{}, true},
	}
	for _, tt := range tests {
		got, err := ParseModuleEvent(tt.sub, tt.body)
		if (err != nil) != tt.err {
			t.Errorf("%s %s: err %v", tt.sub, tt.body, err)
			continue
		}
		if err != nil {
			continue
		}
		got.Body = ""
		if got != tt.want {
			t.Errorf("%s %s: %+v, want %+v", tt.sub, tt.body, got, tt.want)
		}
	}
	for reply, ok := range map[string]bool{"+OK Success": true, "-ERR Operation Failed": false, "-ERR no reply": false, "": false} {
		if ReplyOK(reply) != ok {
			t.Errorf("ReplyOK(%q)", reply)
		}
	}
}
