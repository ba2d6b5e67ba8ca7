// Package esl is waihu's event-socket layer towards FreeSWITCH: validated
// commands, typed events, an inbound client and a pool holding one
// reconnecting connection per node, and the outbound socket server holding
// one connection per call. It knows nothing of tenants or the database.
//
// # Pieces
//
//   - Command builders (Originate, UUIDKill, UUIDBreak, UUIDExists,
//     ShowChannelsJSON, Status, SofiaProfileRescan, SofiaKillGW, SchedHangup,
//     UUIDSetVar, UUIDBroadcast, UUIDAudioStreamStart/Stop, Raw) return
//     (Command, error). Every value is validated; CR/LF and control
//     characters are refused everywhere, and the originate {} block refuses
//     ',', braces, brackets, quotes, '$', '^', '|' and spaces in values
//     (*ArgumentError names the field). SanitizeVarValue exists for free text.
//   - Event keeps headers in wire order with duplicates; Get is
//     case-insensitive; Typed / AsHangup / AsExecute / AsDTMF /
//     AsBackgroundJob / AsHeartbeat / AsCustom give typed views.
//   - FrameReader, ParsePlainEvent, ParseJSONEvent: our own wire parser,
//     bounded (MaxHeaderBlock, MaxBody), never panics, fuzzed; the JSON
//     scanner is differential-fuzzed against encoding/json.
//   - URLEncode (= switch_url_encode), AppendPlainEvent, AppendJSONEvent:
//     the encoders, for the switch simulator and tests; every recorded
//     plain event re-encodes to FreeSWITCH's exact bytes.
//   - ParseChannels (`show channels as json`, idle and busy shapes) and
//     ParseBool (`uuid_exists`) for reconciliation.
//   - Client (Dial): auth, subscription (`event plain|json …`, never `log`),
//     filters, API, BgAPI with a Job-UUID minted here, per-call mailboxes
//     (Watch), Events, reply timeouts that close the connection.
//   - Pool: Add/Remove/Client/Health/Nodes/OnEvent/OnState/API/BgAPI/Watch;
//     redial with jittered exponential backoff and re-subscription; health
//     from HEARTBEAT plus periodic `status` probes.
//   - OutboundServer / OutboundSession: connect (ChannelData), MyEvents,
//     Linger, Execute/ExecuteAsync (event-lock, matched to
//     CHANNEL_EXECUTE_COMPLETE by the Event-UUID we send), PlayFile, API,
//     SendMsg, Hangup, HungUp, Close (hangs up unless LeaveParked).
//   - Metrics: waihu_esl_event_lag_seconds (read → taken from a mailbox),
//     command_seconds, events_total, frames_dropped_total, reconnects_total,
//     reply_timeouts_total. NewMetrics(reg) registers them; nil records
//     nothing.
//
// # Wire facts this package relies on
//
// From mod_event_socket.c, switch_event.c and the FreeSWITCH 1.10.12 traces
// in testdata/ (copied from the shared trace folder; tests replay every frame
// of every trace):
//   - Every message is a header block ending in an empty line, then exactly
//     Content-Length bytes when that header is present. LF only.
//   - Event frames put Content-Length first; a plain event body is itself a
//     URL-encoded header block with an optional inner Content-Length and
//     body (BACKGROUND_JOB: "+OK <uuid>\n" or "-ERR USER_BUSY\n").
//   - Headers repeat (Hangup-Cause twice in CHANNEL_HANGUP_COMPLETE);
//     variable_sip_term_status is absent when FreeSWITCH ended the call.
//   - Replies carry no request ID: they come back in command order.
//   - CHANNEL_OUTGOING comes before CHANNEL_CREATE; BACKGROUND_JOB arrives at
//     no fixed place among the call's events.
//   - The outbound `connect` reply is a command/reply whose header block is
//     a whole CHANNEL_DATA event with URL-encoded values (Reply-Text
//     %2BOK%0A). After hangup a lingering socket gets a
//     text/disconnect-notice (Content-Disposition: linger) and stays open
//     until we close it; a socket closed without hangup leaves the channel
//     parked, so Close hangs up first.
//   - The socket app in originate must be quoted: '&socket(h:p async full)'.
//
// # What is used from github.com/fiorix/go-eventsocket, and why wrapped
//
// The product card fixes go-eventsocket (pinned at
// v0.0.0-20240904143901-40effc2c18a7). It is thin and marked "work in
// progress"; its pitfalls decide what we use and where we put guards:
//
//  1. eventsocket.Dial and eventsocket.Connection.Send are the inbound
//     client's command path: Send writes every api/bgapi/event/filter
//     command and does the reply matching (by order) and reply decoding
//     (Reply-Text, Job-UUID, api body, "-ERR" → error). Wrapped because:
//     Dial has no timeout or context and cannot take a net.Conn; Send is not
//     safe for concurrent use (replies match by order only) and waits 60 s
//     with no context. So our Client dials FreeSWITCH itself (timeout,
//     context, auth), then connects go-eventsocket to a loopback guard
//     (127.0.0.1:0, one-time random password) and runs one Send at a time
//     under a semaphore, with our own ReplyTimeout. On a timeout, or a
//     caller giving up mid-command, the whole connection is closed, never
//     reused: the late reply would answer the next command, and
//     go-eventsocket's one-slot error channel can block its read loop.
//  2. Its read loop is NOT given FreeSWITCH's bytes. It calls log.Fatal on
//     a Content-Type it does not know (log/data, anything new), panics on
//     an empty JSON key (capitalize indexes s[0]), its EventHeader.Get
//     panics on JSON array values (asserts string), and it panics on an
//     empty Reply-Text (reply[0]) and a short "-E…" reply or body (reply[5:]),
//     allocates whatever Content-Length says (negative → panic), and
//     url.QueryUnescape turns '+' into ' '. Those run in its own goroutine
//     where nothing can recover. So every byte from FreeSWITCH is read by
//     our FrameReader first. Events are parsed by our parser (plain and
//     json, order and duplicates kept) and never forwarded. Only replies
//     are forwarded, re-serialised with just the headers go-eventsocket
//     reads, "-E…" padded to "-ERR …", empty answers turned into
//     "-ERR no reply", and only while a command is waiting (an unsolicited
//     reply is a protocol error that closes the connection). Unknown frames
//     are counted (frames_dropped_total) and dropped.
//  3. It does not refuse CR/LF (the check in Send is commented out), so no
//     string reaches it except Command values from the validating builders.
//  4. eventsocket.MSG is the header-map type OutboundSession.SendMsg takes,
//     so code written against go-eventsocket's sendmsg shape carries over;
//     keys and values are checked and written in sorted order.
//  5. The outbound side does not use eventsocket.ListenAndServe or its
//     Connection: ListenAndServe takes only an address (no port 0, no way to
//     learn the port, no way to stop it) and each Connection carries a 64 KiB
//     read buffer and the same unguarded read loop — at 2,000 concurrent
//     calls that alone is 128 MiB and one bad frame kills every call. An
//     OutboundSession owns its socket with a 1 KiB FrameReader instead
//     (bodies are read straight into their own allocation), keeps only the
//     `connect` headers its caller names (KeepChannelData), and a mailbox
//     holds a goroutine only while it has events queued, so an idle call
//     costs its socket's read goroutine and its handler, nothing more.
package esl
