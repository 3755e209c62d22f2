//! Request checks that run before anything is decoded or executed: the body and JSON
//! budgets, the cheap reading of an unauthenticated body (variables skipped, never
//! decoded), the mutation-over-GET test, and the Host check of loopback listeners
//! (DNS rebinding).

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;
use std::net::IpAddr;

/// Largest request body: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most JSON values (objects, arrays and scalars) in a request body or its variables.
pub const MAX_JSON_NODES: usize = 50_000;
/// Deepest nesting of JSON arrays and objects in a request body or its variables.
pub const MAX_JSON_DEPTH: usize = 32;

/// Why a JSON document is over budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Over {
    /// More than [`MAX_JSON_NODES`] values.
    Nodes,
    /// Nested deeper than [`MAX_JSON_DEPTH`].
    Depth,
}

impl fmt::Display for Over {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Over::Nodes => write!(f, "more than {MAX_JSON_NODES} JSON values"),
            Over::Depth => write!(f, "JSON nested deeper than {MAX_JSON_DEPTH} levels"),
        }
    }
}

struct Walk<'a> {
    nodes: &'a Cell<usize>,
    over: &'a Cell<Option<Over>>,
    depth: usize,
}

impl Walk<'_> {
    fn count<E: de::Error>(&self) -> Result<(), E> {
        let n = self.nodes.get().saturating_add(1);
        self.nodes.set(n);
        if n > MAX_JSON_NODES {
            self.over.set(Some(Over::Nodes));
            return Err(E::custom("over budget"));
        }
        Ok(())
    }

    fn deeper<E: de::Error>(&self) -> Result<Self, E> {
        self.count()?;
        if self.depth >= MAX_JSON_DEPTH {
            self.over.set(Some(Over::Depth));
            return Err(E::custom("over budget"));
        }
        Ok(Walk {
            nodes: self.nodes,
            over: self.over,
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.count()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.count()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.count()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.count()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.count()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.count()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.count()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while seq
            .next_element_seed(Walk {
                nodes: inner.nodes,
                over: inner.over,
                depth: inner.depth,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Walk {
                nodes: inner.nodes,
                over: inner.over,
                depth: inner.depth,
            })?;
        }
        Ok(())
    }
}

/// Walks a JSON text without building it: `Err(Some(_))` when it is over budget,
/// `Err(None)` when it is not JSON (the real decoding reports that).
pub fn within_budget(json: &[u8]) -> Result<(), Option<Over>> {
    let nodes = Cell::new(0);
    let over = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(json);
    let walk = Walk {
        nodes: &nodes,
        over: &over,
        depth: 0,
    };
    match walk.deserialize(&mut de).and_then(|()| de.end()) {
        Ok(()) => Ok(()),
        Err(_) => Err(over.get()),
    }
}

/// Whether a `variables` value carries anything (`null`, `""`, whitespace and `{}` do
/// not), read without building it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Carries(pub bool);

impl<'de> de::Deserialize<'de> for Carries {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Carries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("variables")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Carries, E> {
                Ok(Carries(false))
            }
            fn visit_none<E: de::Error>(self) -> Result<Carries, E> {
                Ok(Carries(false))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Carries, E> {
                let s = s.trim();
                Ok(Carries(!(s.is_empty() || s == "{}" || s == "null")))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Carries, E> {
                Ok(Carries(true))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Carries, E> {
                Ok(Carries(true))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Carries, E> {
                Ok(Carries(true))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Carries, E> {
                Ok(Carries(true))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Carries, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Carries(true))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Carries, A::Error> {
                let mut any = false;
                while map.next_key::<IgnoredAny>()?.is_some() {
                    map.next_value::<IgnoredAny>()?;
                    any = true;
                }
                Ok(Carries(any))
            }
        }
        d.deserialize_any(V)
    }
}

/// An unauthenticated POST body: the query and operation name, and only whether
/// variables were sent (they are skipped, never decoded).
#[derive(Debug, serde::Deserialize)]
pub struct Head {
    /// `query`, when it is a string.
    #[serde(default)]
    pub query: Option<serde_json::Value>,
    /// `operationName`.
    #[serde(default, rename = "operationName")]
    pub operation_name: Option<serde_json::Value>,
    /// Whether `variables` carries anything.
    #[serde(default)]
    pub variables: Carries,
}

/// Whether a GraphQL document defines a mutation (read with juniper's lexer, without
/// parsing): an operation keyword is a top-level name at the start of a definition.
pub fn defines_mutation(query: &str) -> bool {
    use juniper::parser::{Lexer, Token};
    let (mut curly, mut paren) = (0usize, 0usize);
    let mut definition_start = true;
    for token in Lexer::new(query) {
        let Ok(token) = token else { return false };
        match token.item {
            Token::CurlyOpen => curly = curly.saturating_add(1),
            Token::CurlyClose => {
                curly = curly.saturating_sub(1);
                if curly == 0 && paren == 0 {
                    definition_start = true;
                    continue;
                }
            }
            Token::ParenOpen => paren = paren.saturating_add(1),
            Token::ParenClose => paren = paren.saturating_sub(1),
            Token::Name("mutation") if definition_start && curly == 0 && paren == 0 => {
                return true;
            }
            _ => {}
        }
        definition_start = false;
    }
    false
}

/// The Host check of a listener bound to loopback: only `localhost`, `127.0.0.1` and
/// `[::1]` (any port) may name it, so a page whose name was rebound to 127.0.0.1 cannot
/// reach it. `Err` holds the refused host.
pub fn loopback_host(bound: IpAddr, host: Option<&str>) -> Result<(), String> {
    if !bound.is_loopback() {
        return Ok(());
    }
    let Some(host) = host else {
        return Ok(()); // HTTP/1.0 without Host: not a browser
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().map(|h| format!("[{h}]")),
        None => host.split(':').next().map(str::to_owned),
    }
    .unwrap_or_default()
    .to_ascii_lowercase();
    let name = name.strip_suffix('.').unwrap_or(&name);
    if matches!(name, "localhost" | "127.0.0.1" | "[::1]") {
        Ok(())
    } else {
        Err(host.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets() {
        assert_eq!(within_budget(b"{\"a\": [1, 2, {\"b\": null}]}"), Ok(()));
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(within_budget(deep.as_bytes()), Err(Some(Over::Depth)));
        let wide = format!("[{}0]", "0,".repeat(MAX_JSON_NODES));
        assert_eq!(within_budget(wide.as_bytes()), Err(Some(Over::Nodes)));
        assert_eq!(within_budget(b"{oops"), Err(None));
    }

    #[test]
    fn mutations_are_found_at_definition_starts_only() {
        assert!(defines_mutation("mutation { a }"));
        assert!(defines_mutation("query q { a } mutation m { b }"));
        assert!(defines_mutation("fragment f on T { x } mutation { a }"));
        assert!(!defines_mutation("{ a(x: \"mutation\") }"));
        assert!(!defines_mutation("query mutation { a }"));
        assert!(!defines_mutation("query($mutation: Int) { mutation }"));
        assert!(!defines_mutation("{ account { mutation { x } } }"));
    }

    #[test]
    fn loopback_hosts() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        for ok in [
            "localhost",
            "LOCALHOST:5551",
            "127.0.0.1:80",
            "[::1]:8080",
            "[::1]",
        ] {
            assert_eq!(loopback_host(lo, Some(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "evil.test",
            "evil.test:5551",
            "localhost.evil.test",
            "127.0.0.2",
        ] {
            assert!(loopback_host(lo, Some(bad)).is_err(), "{bad}");
        }
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        assert_eq!(loopback_host(any, Some("evil.test")), Ok(()));
    }
}
