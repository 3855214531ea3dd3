// Package realtime is the WebSocket hub: it carries conversation events from
// the bus to agents' consoles and customers' widgets, live and without loss
// or duplication.
//
// Every frame is a JSON text message with a "type".
//
// Client → server:
//
//	{"type":"subscribe","conversation_id":1,"after_seq":5}   history after 5, then live
//	{"type":"unsubscribe","conversation_id":1}
//	{"type":"subscribe_inbox"}                                agents: new and changed conversations in scope
//	{"type":"send","conversation_id":1,"body":"…","client_id":"uuid"}
//	{"type":"typing","conversation_id":1}
//	{"type":"read","conversation_id":1,"seq":7}
//	{"type":"ping"}
//
// Server → client:
//
//	{"type":"message","message":{…}}                         each seq once, in order, per conversation
//	{"type":"ack","client_id":"…","seq":7,"message_id":9}
//	{"type":"conversation","conversation_id":1,"changes":{…}}
//	{"type":"typing","conversation_id":1,"author_kind":"agent","name":"…"}
//	{"type":"read","conversation_id":1,"seq":7,"reader":"customer"}
//	{"type":"viewers","conversation_id":1,"agents":[{"id":2,"name":"…"}]}
//	{"type":"revoked","conversation_id":1}                    the viewer lost access
//	{"type":"error","code":"…","message":"…","conversation_id":1}
//	{"type":"pong"}
//
// Ordering: a subscription replays history through Backend.History and
// buffers live events meanwhile; it then sends each sequence number once.
// Customers never receive internal notes; their sequence numbers are
// skipped, not treated as gaps. A gap in what the bus delivered (a dropped
// event) triggers a replay from the last sequence sent.
//
// A connection whose queue fills is closed (a slow consumer), never allowed
// to block the others; the client reconnects and resumes from its last seq.
package realtime
