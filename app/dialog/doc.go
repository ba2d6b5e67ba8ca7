// Package dialog is the dialogue engine: the call-script model (话术), its
// validation, intent recognition, the five scenario templates, grading, and
// the per-call interpreter. It is pure Go with no I/O: it is given text and
// events and returns actions. Chat models are reached only through the
// IntentClassifier and ChatModel interfaces (app/llm implements them).
//
// # Scripts
//
// A Script is plain JSON (Parse, Script.JSON). Nodes: say, listen (ask and
// branch by intent), branch (on the last intent or a variable), dtmf, set
// (tags/variables), transfer, hangup (closing line) and llm (an open
// conversation). Globals handle an intent at any waiting node (answer and
// return, repeat, goto, hang up, transfer); KB entries are answered and the
// flow resumes. Silence and no-match have per-node (or default) retry lines
// and a next node; every line has a barge-in policy (off, after N ms, or
// only for listed intents). Validate names the node for every problem and
// refuses a script whose opening line (the AI disclosure) can be
// interrupted. Check = Validate + the script's own test conversations; a
// publish must pass it.
//
// # Driving a call (the call-control session)
//
//	call := dialog.NewCall(script, contactVars, dialog.WithEmitter(emit), ...)
//	acts := call.Start()            // opening lines, then Listen
//	for !call.Ended() {
//	    ev := <next event from FreeSWITCH / ASR>
//	    acts = call.Handle(ev)
//	    perform(acts)
//	}
//	res := call.Result()            // grade, tags, vars, path, timeline, LLM cost
//
// Actions, performed in order:
//   - Say{Text, AudioURL, BargeIn, Node}: play (TTS unless AudioURL); send
//     PlaybackDone{PlayedMs} when each line ends or is broken. BargeIn tells
//     the session when it may uuid_break the line.
//   - Listen{TimeoutMs, Expect}: start recognition after the lines; send
//     Heard{Text, Final: true} for an utterance or Silence{} after TimeoutMs
//     without speech. Expect are hot words for grammar-based ASR.
//   - CollectDTMF{MaxDigits, TimeoutMs, Terminator}: send DTMF{Digits} or
//     Silence{}.
//   - StopPlayback{}: the callee barged in and the line's policy allows it:
//     break the playing line now.
//   - SetVar{Name, Value}: a captured variable (store it as it comes).
//   - Transfer{Target}: bridge to a human; the call is over for the robot.
//   - Hangup{Text, Reason}: play Text (if any), then hang up.
//
// Events: Heard (Final=false partials are ignored; PlayedMs says how far
// the playing line was when speech began, for "after N ms" barge-in),
// DTMF, Silence, PlaybackDone, BargedIn{PlayedMs} (voice activity during
// playback: answered with StopPlayback when allowed), CallerHangup, and
// EngineError (ASR/TTS failure: the no-match path runs, so the call never
// stalls). Speech heard while a non-interruptible line plays is logged and
// ignored. A Call is not safe for concurrent use; one session goroutine
// feeds it. LLM requests inside Handle never outlast their budget
// (LLMFallback.BudgetMs, LLMConfig.BudgetMs); with WithEmitter an LLM node's
// reply is emitted sentence by sentence while it streams.
//
// Compile caches the matcher per *Script, so load a published version once
// and share it between calls; do not modify a Script after its first call.
package dialog
