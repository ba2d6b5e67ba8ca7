// Package switchsim is a FreeSWITCH stand-in that speaks the real event
// socket (ESL) wire protocol, for tests and for `waihu serve --demo`.
//
// It is built from FreeSWITCH 1.10.12's behaviour as recorded byte for byte
// in ../shared/freeswitch-traces (inbound-*.jsonl, outbound-session.jsonl,
// cdr-post.txt) and from signalwire/freeswitch's source
// (mod_event_socket.c, switch_event.c, switch_channel.c,
// switch_ivr_originate.c, switch_core_session.c, mod_commands.c,
// mod_sofia.c, mod_dptools.c). Comments on each behaviour name the file or
// trace it copies. No FreeSWITCH code is used.
//
// # What it serves
//
// Inbound ESL (Options.ESLAddr): auth/request, auth (a wrong password gets
// "-ERR invalid", the goodbye notice and EOF), api, bgapi (Job-UUID reply
// and a BACKGROUND_JOB to subscribers; a client-sent Job-UUID header is
// honoured), event plain|json, nixevent, noevents, filter, exit, HEARTBEAT.
// Api commands: originate, uuid_kill, uuid_break, uuid_exists,
// uuid_setvar/getvar, uuid_answer, uuid_broadcast, uuid_record, uuid_dump,
// uuid_send_dtmf, sched_hangup, hupall, show channels|calls [as json],
// status, version, sofia profile <p> rescan|killgw <gw>, sofia status
// gateway <gw>, uuid_audio_stream, module_exists, reloadxml; anything else
// answers "-ERR <cmd> Command not found!". Simulator-only api commands for
// tests that run `waihu sim` as a separate process: sim_originates
// <number>, sim_originates_uuid <uuid> (counts, one per line) and sim_calls
// (Calls() as JSON).
//
// Calls answer or bring early media according to personas. For each call
// whose application is '&socket(host:port async full)' the simulator
// connects to host:port once the call answers or brings early media
// (ignore_early_media=false semantics), answers "connect" with the
// CHANNEL_DATA block, and serves myevents, linger, event, filter, sendmsg
// (execute with event-lock, hangup), api and exit. Executed apps: answer,
// playback/speak, record, record_session, play_and_get_digits, read,
// break, hangup, bridge, transfer, set/export/unset, sleep, start_dtmf,
// park; unknown apps hang the channel up with DESTINATION_OUT_OF_ORDER as
// FS does.
//
// After hangup a lingering socket gets "Content-Disposition: linger" and
// stays open, with CHANNEL_DESTROY held back, until the client closes it or
// sends exit; a socket closed before hangup leaves the channel parked
// until uuid_kill. CDRs are POSTed as mod_xml_cdr does (form field cdr=,
// ?uuid=a_<uuid>, retries Options.CDRRetries apart by CDRRetryDelay).
//
// # Personas
//
// A YAML file lists callees; the first whose match fits the dialled number
// wins, and numbers no persona matches get the default persona for their
// LAST digit: 0 interested talker, 1 busy (486), 2 no answer, 3 reject
// (603), 4 power-off announcement (183, then 480), 5 invalid-number
// announcement (183, then 404), 6 answers and hangs up at once, 7 silent,
// 8 voicemail greeting, 9 talker who refuses and hangs up.
//
//	personas:
//	  - name: keen
//	    match: ["13800000000", "*77", "re:^1390"]   # exact, suffix, regexp
//	    outcome: answer      # answer busy no_answer reject not_found unavailable
//	                         # power_off invalid_number early_media sip
//	    sip_status: 0        # final status for outcome sip (300..699)
//	    ring_ms: 1500        # INVITE to answer / refusal / 183
//	    hangup_after_ms: 0   # callee hangs up this long after answer (0 never)
//	    greeting: {text: "喂？"}                      # said 300 ms after answer
//	    early_media: {text: "您拨打的电话已关机", clip: off.wav, duration_ms: 0, sip_status: 480}
//	    turns:               # one per robot prompt, in order
//	      - say: "有兴趣"      # reply text (and optional clip: reply.wav)
//	        delay_ms: 400     # after the prompt ends (default 400)
//	      - say: "等一下"
//	        barge_in_ms: 800  # talk 800 ms into the prompt instead
//	        prompt: 2         # …into the 2nd prompt after answer (0: the next one)
//	      - dtmf: "1"
//	      - say: "再见"
//	        hangup: true
//	    audio_stream: {fail: drop, after_ms: 300, times: 1}  # or fail: refuse; times 0 = every start
//	    timeline:            # at fixed times after answer, whatever the robot does
//	      - at_ms: 1000
//	        dtmf: "1"
//	      - at_ms: 9000
//	        hangup: true
//
// Semantics: a refusal with ring_ms of 1000 or more sends 180 first
// (CHANNEL_PROGRESS), a shorter one none (as the traces' 300 ms refusals);
// answer/no answer ring with 180 at 100 ms. A turn is spoken delay_ms after
// a robot prompt (playback, speak, play_and_get_digits) ends; if another
// prompt starts meanwhile it waits for that one; a barge_in_ms turn starts
// inside the prompt and consumes it. DTMF digits follow the speech 100 ms
// apart; hangup follows 300 ms later as the callee's BYE
// (sip_hangup_disposition recv_bye, sip_term_status 200). After the
// greeting, the turns and the timeline, the callee stays silent until
// hangup_after_ms. record (record.go, after switch_ivr_play_say.c) stops
// silence_hits seconds after the callee last spoke, or after the start if
// it did not, on a playback_terminators digit, at its time limit or on
// uuid_break, and writes what the callee said as an 8 kHz WAV when the
// directory exists. audio_stream faults: refuse fires ::error code 6
// (connection refused) instead of connecting; drop connects, then after
// after_ms closes the TCP connection without CLOSE and fires ::error code 1.
// CallInfo.Journal orders speech starts, executes, uuid_breaks, playback and
// record stops. The answer app and uuid_answer do nothing, as on any outbound FS
// leg: only the persona answers.
//
// Durations: an utterance lasts duration_ms if given, else its clip's WAV
// length, else SpeechMs(text) (300 ms + 200 ms per Han character + 60 ms
// per other letter or digit + 150 ms per punctuation mark). A prompt
// (playback argument) lasts per PromptMs: silence_stream://N is N ms, a
// readable WAV file its length, say:/tts:// text by SpeechMs, a URL with
// duration_ms=N or ms=N that long, otherwise Options.DefaultPromptMs (3 s).
// Options.TimeScale multiplies every simulated duration (tests use 0.01);
// the millisecond figures the simulator reports (playback_ms,
// Speech-*-Ms) are in simulated time.
//
// # The recognizer side channel (simulator-only data)
//
// The simulator has no audio path to a recognizer, so when the simulated
// callee finishes an utterance (greeting, turn reply, early-media
// announcement) it fires a CUSTOM event with Event-Subclass
// "waihu::sim_speech" carrying the channel's usual headers plus
// Speech-Text, Speech-Start-Ms and Speech-End-Ms (milliseconds since
// answer, or since early media on an unanswered leg) and Speech-Clip when
// the persona names one. It goes to inbound listeners subscribed to
// "CUSTOM waihu::sim_speech" and, as a simulator-only addition, to the
// call's outbound socket once myevents is on. A real FreeSWITCH never sends
// it; waihu's simulation recognizer consumes it in place of ASR. One event
// is fired per utterance at its end, like a recognizer's final result; a
// barge-in utterance starts barge_in_ms into the prompt, so its
// Speech-Start-Ms lies inside the prompt.
//
// # Audio (uuid_audio_stream)
//
// "uuid_audio_stream <uuid> start ws://… [mono|mixed|stereo] [8k|16k]
// [metadata]" behaves as mod_audio_stream does in audio-stream.md: +OK
// Success at once, then a WebSocket connection with libwsc's handshake
// (no space after header colons, Origin http://host:port, no User-Agent,
// STREAM_EXTRA_HEADERS added), the metadata as the first text frame, and
// one binary frame of raw L16LE PCM per 20 ms (STREAM_BUFFER_SIZE honoured;
// 320 bytes at mono 8k). The read leg carries the callee: its clip (16-bit
// PCM mono WAV at 8 or 16 kHz) while it talks, or a speech-like two-tone
// signal when the persona has text only, silence otherwise; the write leg
// carries a 1000 Hz tone while a robot prompt plays. CUSTOM
// mod_audio_stream::connect, ::json (server text), ::play (streamAudio
// messages, written to a temp file), ::disconnect (server CLOSE, bug stays
// attached until stop) and ::error (connect failure, EOF without CLOSE)
// are fired with the module's bodies; pause, resume, send_text and stop
// [text] work; hangup sends CLOSE 1000 "Normal closure". wss:// is not
// supported.
//
// # Simplifications
//
// bridge simulates an agent leg (CHANNEL_BRIDGE, 5 simulated seconds,
// CHANNEL_UNBRIDGE); transfer records transfer_destination and the
// transfer time, bridges to a simulated agent (CHANNEL_BRIDGE), and after
// the persona's transfer_talk_ms (8 s) fires CHANNEL_UNBRIDGE and the
// callee hangs up (recv_bye); record writes a silent WAV of the recorded
// length and record_session (or uuid_record) a silent WAV, stereo with
// RECORD_STEREO=true, at hangup (record needs its directory to exist;
// record_session creates it, as FS does);
// every channel uses PCMU; only the first endpoint of a dial string is
// dialled; "event xml" is refused.
//
// # Ground truth
//
// Originates(number) and OriginatesUUID(uuid) count every originate
// received, including refused ones; Calls() snapshots every channel. Max
// sessions and sessions per second refuse as FS does (-ERR
// DESTINATION_OUT_OF_ORDER, no channel events). Kill() drops every socket
// with no hangup, events or CDRs, as a crash; Restart() brings the
// simulator back on the same address with no channels and a new Core-UUID
// while keeping the counters and call history.
package switchsim
