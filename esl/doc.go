// Package esl is waihu's event-socket layer towards FreeSWITCH: typed
// commands and events, an inbound client pool (one connection per node,
// reconnecting) and the outbound socket server (one connection per call).
//
// See the bottom of this comment for what is used from
// github.com/fiorix/go-eventsocket and why each part is wrapped or replaced.
//
// # Wire facts this package is built on
//
// From mod_event_socket.c and the recorded FreeSWITCH 1.10.12 traces in
// testdata/ (copied from the shared trace folder):
//   - Every message is a header block ending in an empty line, then exactly
//     Content-Length bytes when that header is present. LF only.
//   - Event frames (text/event-plain, text/event-json) put Content-Length
//     first; a plain event body is itself a URL-encoded header block with an
//     optional inner Content-Length and body (BACKGROUND_JOB).
//   - Headers repeat (Hangup-Cause twice in CHANNEL_HANGUP_COMPLETE), so an
//     Event keeps every header in wire order.
//   - Replies carry no request ID: they come back in command order.
//   - The outbound `connect` reply is a command/reply whose header block is a
//     whole CHANNEL_DATA event with URL-encoded values.
package esl
