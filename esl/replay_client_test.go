package esl

import (
	"bufio"
	"context"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var recordedJobUUID = regexp.MustCompile(`Job-UUID: ([0-9a-f-]{36})`)

// replayInbound serves one recorded inbound session to the client under
// test: it answers each of our commands with the recorded chunks that
// followed the recorded command, swapping the recorded Job-UUID for the one
// our BgAPI minted (same length, so Content-Length holds).
func replayInbound(t *testing.T, file string) (addr string) {
	lines := loadTrace(t, file)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		var recJob, ourJob string
		for _, l := range lines {
			if l.Dir == "send" {
				cmd, err := readCommand(br)
				if err != nil {
					return
				}
				if strings.HasPrefix(cmd, "bgapi ") {
					if m := regexp.MustCompile(`(?m)^Job-UUID: (\S+)$`).FindStringSubmatch(cmd); m != nil {
						ourJob = m[1]
					}
				}
				continue
			}
			raw := l.Raw
			if recJob == "" {
				if m := recordedJobUUID.FindStringSubmatch(raw); m != nil {
					recJob = m[1]
				}
			}
			if recJob != "" && ourJob != "" {
				raw = strings.ReplaceAll(raw, recJob, ourJob)
			}
			if _, err := io.WriteString(conn, raw); err != nil {
				return
			}
		}
		io.Copy(io.Discard, br) // keep the socket open until the client closes
	}()
	return ln.Addr().String()
}

// TestClientReplaysRecordedCalls drives the real Client (guard,
// go-eventsocket, router) with each recorded inbound call: the call's
// mailbox must see the recorded events in order and the bgapi Job must get
// the recorded BACKGROUND_JOB result, wherever it fell among the events.
func TestClientReplaysRecordedCalls(t *testing.T) {
	for _, tc := range []struct{ file, result string }{
		{"inbound-busy.jsonl", "-ERR USER_BUSY\n"},
		{"inbound-rejected.jsonl", "-ERR CALL_REJECTED\n"},
		{"inbound-notfound.jsonl", "-ERR UNALLOCATED_NUMBER\n"},
		{"inbound-unavailable.jsonl", "-ERR NORMAL_TEMPORARY_FAILURE\n"},
		{"inbound-noanswer.jsonl", "-ERR NO_ANSWER\n"},
		{"inbound-earlymedia.jsonl", "+OK %s\n"},
		{"inbound-answered-plain.jsonl", "+OK %s\n"},
		{"inbound-answered-json.jsonl", "+OK %s\n"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			// what the parser sees for this call, in order
			events, _ := traceEvents(t, readAllFrames(t, recvStream(loadTrace(t, tc.file), 0)))
			var callUUID string
			var want []string
			for _, e := range events {
				if e.Name() == EvChannelOutgoing && callUUID == "" {
					callUUID = e.UUID()
				}
			}
			for _, e := range events {
				if e.UUID() == callUUID {
					want = append(want, e.Name())
				}
			}
			format := "plain"
			if strings.Contains(tc.file, "json") {
				format = "json"
			}
			c, err := Dial(context.Background(), replayInbound(t, tc.file), "ClueCon", ClientOptions{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			mb := c.Watch(callUUID)
			cmd, _ := Originate(OriginateRequest{UUID: callUUID, Endpoint: "sofia/external/13800000000@127.0.0.1:5090", TimeoutSec: 20, Vars: map[string]string{"waihu_attempt": "A1"}, App: "park"})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			job, err := c.BgAPI(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for len(got) < len(want) {
				e, err := mb.Next(ctx)
				if err != nil {
					t.Fatalf("after %v: %v", got, err)
				}
				got = append(got, e.Name())
			}
			if !slices.Equal(got, want) {
				t.Fatalf("order\n got %v\nwant %v", got, want)
			}
			body, _ := job.Wait(ctx)
			if exp := strings.ReplaceAll(tc.result, "%s", callUUID); body != exp {
				t.Fatalf("job %q want %q", body, exp)
			}
		})
	}
}
