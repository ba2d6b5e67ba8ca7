// Package callctl runs one call's life over FreeSWITCH: it picks a node,
// originates through the ESL layer, follows the channel's events to an
// outcome, runs the dialogue on the outbound socket session, takes CDRs and
// recordings from FreeSWITCH, and reconciles live channels after a crash.
// It is the only package that uses esl/.
package callctl
