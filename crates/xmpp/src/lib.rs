//! XMPP data types without I/O.
//!
//! This crate provides the building blocks shared by the meerkat core and its
//! transport handlers (WebSocket, BOSH):
//!
//! * [`Element`] / [`Node`]: a small owned XML element tree with a correct
//!   serializer ([`Element::to_xml`]) and a hardened parser
//!   ([`Element::parse`]) built on [`rxml`], which implements the restricted
//!   XML subset XMPP requires (no DTDs, no processing instructions, no
//!   comments, no entities beyond the predefined five).
//! * [`ns`]: namespace constants.
//! * [`jid`]: a re-export of the `jid` crate.
//! * [`scram`] and [`sasl`]: SCRAM (RFC 5802 / RFC 7677) and PLAIN
//!   (RFC 4616) SASL primitives, compatible with MongooseIM.
//! * [`stanza`]: helpers to build stanza errors, stream errors and IQ results.
//! * [`typed`]: the boundary to typed XEP payloads from `xmpp-parsers`
//!   (MAM, RSM, data forms, MUC, carbons…), re-exported as [`xmpp_parsers`].

#![deny(missing_docs)]

pub use jid::{self, BareJid, FullJid, Jid};
pub use xmpp_parsers;

pub mod element;
pub mod ns;
pub mod parse;
pub mod sasl;
pub mod scram;
pub mod stanza;
pub mod typed;

pub use element::{Element, Node};
pub use parse::{ParseError, ParseLimits};
