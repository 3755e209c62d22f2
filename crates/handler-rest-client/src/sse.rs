//! `/sse`: the user's messages as server-sent events (MongooseIM's
//! `mongoose_client_api_sse`).
//!
//! The request opens a session for the user (resource `sse-<uuid>`, priority 1, like any
//! other session in the session lists) through the same command as GraphQL's
//! `stanza.subscribeForMessages`. Routed `chat` messages become `event: message`,
//! `groupchat` ones `event: room.message`, each with an `id:` counting from 1; other
//! stanzas are not forwarded (IQs bounce). A comment line every 15 s keeps proxies and
//! the listener's own idle timeout from closing the stream; an hour without events
//! closes it, as MongooseIM's one-hour idle timeout does. The session ends when the
//! client leaves: whatever it had queued and not streamed is routed again (offline
//! storage), as for any ending session.

use crate::{State, authorize, resource};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::command_error;
use meerkat_core::commands::stanza::{self, ReceivedMessage};
use meerkat_core::meerkat_xmpp::{Element, Jid};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Between keep-alive comments.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// Without an event for this long, the stream ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(3600);

const SMACK_PROPERTIES: &str = "http://www.jivesoftware.com/xmlns/xmpp/properties";
const CHAT_MARKERS: &str = "urn:xmpp:chat-markers:0";

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(events))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/sse", |r| r.route(web::get().to(events))));
}

/// The user's incoming messages as a stream of server-sent events.
#[utoipa::path(get, path = "/sse", operation_id = "messageEvents", tag = "sse",
    responses(
        (status = 200, description = "`event: message` (chat) and `event: room.message` \
            (groupchat) events whose data is the message as JSON (`from`, `to`, `id`, \
            `body`, `timestamp` in microseconds, and `thread`, `parent`, `properties` when \
            present; room messages: `id`, `from`, `timestamp`, `type`, `room`, ...)",
            content_type = "text/event-stream", body = String),
        (status = 401, description = "Bad or missing credentials"),
    ))]
pub async fn events(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let user = match authorize(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
    };
    let mut session = match stanza::open_session(&state.server, user.as_str(), false).await {
        Ok(s) => s,
        Err(e) => return command_error(&e),
    };
    let body = async_stream::stream! {
        let mut id: u64 = 0;
        let mut idle_until = tokio::time::Instant::now() + IDLE_TIMEOUT;
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                m = session.next() => {
                    let Some(m) = m else { break }; // kicked or replaced
                    let Some((event, data)) = event_of(&m) else { continue };
                    id += 1;
                    idle_until = tokio::time::Instant::now() + IDLE_TIMEOUT;
                    let frame = format!("id: {id}\nevent: {event}\ndata: {data}\n\n");
                    yield Ok::<_, std::io::Error>(web::Bytes::from(frame));
                }
                _ = heartbeat.tick() => yield Ok(web::Bytes::from_static(b":\n\n")),
                () = tokio::time::sleep_until(idle_until) => break,
            }
        }
        // The session (moved in here) ends when the stream is dropped: when it ends
        // above, or when the client goes away.
    };
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Compression would hold events back in its buffer.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .streaming(body)
}

/// The event a routed message becomes, by its type (`None`: not forwarded).
fn event_of(m: &ReceivedMessage) -> Option<(&'static str, Value)> {
    match m.stanza.attr("type") {
        Some("chat") => Some(("message", chat_json(&m.stanza, m.timestamp_us))),
        Some("groupchat") => room_json(&m.stanza, m.timestamp_us).map(|v| ("room.message", v)),
        _ => None,
    }
}

fn child<'a>(el: &'a Element, name: &str) -> Option<&'a Element> {
    el.children().find(|c| c.name() == name)
}

/// A chat message as the client API shows it: `from`, `to`, `id`, `body`, `timestamp`,
/// and when present `thread`, `parent` (the thread's) and `properties` (Smack's, flattened
/// to name → value).
pub fn chat_json(msg: &Element, timestamp: i64) -> Value {
    let mut o = Map::new();
    for key in ["from", "to", "id"] {
        o.insert(key.into(), msg.attr(key).map_or(Value::Null, |v| v.into()));
    }
    o.insert(
        "body".into(),
        child(msg, "body").map_or(Value::Null, |b| b.text().into()),
    );
    o.insert("timestamp".into(), timestamp.into());
    if let Some(props) = msg
        .children()
        .find(|c| c.name() == "properties" && c.ns() == SMACK_PROPERTIES)
    {
        let mut map = Map::new();
        for p in props.children() {
            let text = |n: &str| child(p, n).map(Element::text);
            if let Some(name) = text("name") {
                map.insert(name, text("value").map_or(Value::Null, Value::String));
            }
        }
        o.insert("properties".into(), Value::Object(map));
    }
    if let Some(thread) = child(msg, "thread") {
        o.insert("thread".into(), thread.text().into());
        if let Some(parent) = thread.attr("parent") {
            o.insert("parent".into(), parent.into());
        }
    }
    Value::Object(o)
}

/// A groupchat message (from `room@muclight/sender` or, for affiliation changes, the
/// room's bare JID) as the client API shows it: `id`, `from` (the sender's JID, or the
/// room's), `timestamp`, `room` (the room's id), and either `type: "message"` with
/// `body`, `markable` or `chat_marker`, or `type: "affiliation"` with `affiliation` and
/// `user`. `None` when `from` is not a JID.
pub fn room_json(msg: &Element, timestamp: i64) -> Option<Value> {
    let from = Jid::new(msg.attr("from")?).ok()?;
    let mut o = Map::new();
    o.insert(
        "id".into(),
        msg.attr("id").map_or(Value::Null, |v| v.into()),
    );
    let sender = match from.resource() {
        Some(r) => r.as_str().to_owned(),
        None => from.to_string(),
    };
    o.insert("from".into(), sender.into());
    o.insert("timestamp".into(), timestamp.into());
    let affiliation = child(msg, "x").and_then(|x| child(x, "user"));
    match affiliation {
        Some(user) => {
            o.insert("type".into(), "affiliation".into());
            o.insert(
                "affiliation".into(),
                user.attr("affiliation").map_or(Value::Null, |v| v.into()),
            );
            o.insert("user".into(), user.text().into());
        }
        None => {
            o.insert("type".into(), "message".into());
            if let Some(b) = child(msg, "body") {
                o.insert("body".into(), b.text().into());
            }
            if let Some(marker) = msg.children().find(|c| c.ns() == CHAT_MARKERS) {
                if marker.name() == "markable" {
                    o.insert("markable".into(), true.into());
                } else {
                    o.insert(
                        "chat_marker".into(),
                        json!({"type": marker.name(), "id": marker.attr("id")}),
                    );
                }
            }
        }
    }
    o.insert(
        "room".into(),
        from.node().map_or(Value::Null, |n| n.as_str().into()),
    );
    Some(Value::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Element {
        Element::parse_str(xml, &Default::default()).unwrap()
    }

    #[test]
    fn chat_with_thread_parent_and_properties() {
        let m = parse(
            r#"<message xmlns="jabber:client" type="chat" from="a@x/r" to="b@x" id="i1"><body>hi</body><thread parent="p1">t1</thread><properties xmlns="http://www.jivesoftware.com/xmlns/xmpp/properties"><property><name>colour</name><value type="string">red</value></property><property><name>bad</name></property></properties></message>"#,
        );
        assert_eq!(
            chat_json(&m, 5),
            json!({"from": "a@x/r", "to": "b@x", "id": "i1", "body": "hi", "timestamp": 5,
                   "thread": "t1", "parent": "p1",
                   "properties": {"colour": "red", "bad": null}})
        );
    }

    #[test]
    fn room_message_marker_and_affiliation() {
        let m = parse(
            r#"<message xmlns="jabber:client" type="groupchat" from="room1@muclight.x/a@x" to="b@x" id="m1"><body>yo</body><markable xmlns="urn:xmpp:chat-markers:0"/></message>"#,
        );
        assert_eq!(
            room_json(&m, 7).unwrap(),
            json!({"id": "m1", "from": "a@x", "timestamp": 7, "type": "message",
                   "body": "yo", "markable": true, "room": "room1"})
        );
        let m = parse(
            r#"<message xmlns="jabber:client" type="groupchat" from="room1@muclight.x" to="b@x" id="m2"><x xmlns="urn:xmpp:muclight:0#affiliations"><user affiliation="member">c@x</user></x></message>"#,
        );
        assert_eq!(
            room_json(&m, 8).unwrap(),
            json!({"id": "m2", "from": "room1@muclight.x", "timestamp": 8,
                   "type": "affiliation", "affiliation": "member", "user": "c@x",
                   "room": "room1"})
        );
        let m = parse(r#"<message xmlns="jabber:client" type="groupchat" from="" id="m3"/>"#);
        assert_eq!(room_json(&m, 9), None);
    }
}
