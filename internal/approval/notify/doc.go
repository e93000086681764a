// Package notify tells people of approval requests as they are created and
// decided: it POSTs a message to each configured target — a Slack channel's
// incoming webhook, a chat-ops bot — that wants the event.
//
// It is best effort, and it never holds up the store: Notifier.Notify (an
// approval.Store OnChange function) only queues the message, and a
// goroutine per target delivers it, retrying a few times; a message that
// cannot be delivered is logged and dropped. What must not be lost is the
// audit trail's approval.request record, which the audit webhooks carry
// durably; a notification is a nudge to a person.
//
// The pieces: notify.go queues and runs the targets, post.go delivers one
// message, message.go names the events and writes the JSON message and the
// one-line summary, slack.go writes the Slack message.
package notify
