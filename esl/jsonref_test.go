package esl

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The first ParseJSONEvent, built on encoding/json's token API, kept as the
// reference for the differential fuzz target of the faster scanner.

// ParseJSONEvent parses a text/event-json body. switch_event_serialize_json
// writes string values, "_body" for the body, and may repeat a key
// (Hangup-Cause in CHANNEL_HANGUP_COMPLETE); array headers become JSON
// arrays. Keys are streamed so order and duplicates survive; arrays turn into
// one header per element; numbers, booleans and nested objects keep their
// JSON text. go-eventsocket panics on the array case; this does not.
func refParseJSONEvent(b []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("esl: json event: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("esl: json event is not an object")
	}
	e := &Event{Headers: make([]Header, 0, 48)}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("esl: json event key: %w", err)
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("esl: json event value of %q: %w", truncate(key, 64), err)
		}
		if key == "" {
			continue
		}
		if key == "_body" {
			e.Body = refJSONText(raw)
			continue
		}
		if len(raw) > 0 && raw[0] == '[' {
			var arr []json.RawMessage
			if err := json.Unmarshal(raw, &arr); err == nil {
				for _, el := range arr {
					e.Headers = append(e.Headers, Header{Name: key, Value: refJSONText(el)})
				}
				continue
			}
		}
		e.Headers = append(e.Headers, Header{Name: key, Value: refJSONText(raw)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("esl: json event end: %w", err)
	}
	return e, nil
}

// jsonText renders a JSON value as header text: strings unquoted, null
// empty, everything else its compact JSON text.
func refJSONText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s
		}
	case 'n':
		return ""
	}
	return string(raw)
}
