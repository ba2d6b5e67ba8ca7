package esl

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ChannelRow is one row of `show channels as json` (mod_commands.c show,
// the channels view of the core database): the columns reconciliation needs.
type ChannelRow struct {
	UUID         string `json:"uuid"`
	Direction    string `json:"direction"`
	Created      string `json:"created"`
	CreatedEpoch string `json:"created_epoch"`
	Name         string `json:"name"`
	State        string `json:"state"`
	CallState    string `json:"callstate"`
	CIDNumber    string `json:"cid_num"`
	Dest         string `json:"dest"`
	Application  string `json:"application"`
	CallUUID     string `json:"call_uuid"`
	Hostname     string `json:"hostname"`
}

// ParseChannels decodes a `show channels as json` body. FreeSWITCH answers
// `{"row_count": 0}` (with a space and a newline) when idle and a compact
// object with "rows" otherwise (traces); both decode here.
func ParseChannels(body string) ([]ChannelRow, error) {
	var v struct {
		RowCount int          `json:"row_count"`
		Rows     []ChannelRow `json:"rows"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(body)), &v); err != nil {
		return nil, fmt.Errorf("esl: show channels: %w", err)
	}
	if v.RowCount != len(v.Rows) {
		return nil, fmt.Errorf("esl: show channels: row_count %d but %d rows", v.RowCount, len(v.Rows))
	}
	return v.Rows, nil
}

// ParseBool decodes `uuid_exists` ("true"/"false", no newline).
func ParseBool(body string) (bool, error) {
	switch strings.TrimSpace(body) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("esl: not a boolean answer: %q", truncate(body, 40))
}
