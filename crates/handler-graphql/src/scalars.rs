//! MongooseIM's custom scalars (`global/scalar_types.gql`): validated on input, so a bad
//! value is an `input_coercion` error before any resolver runs.

use juniper::GraphQLScalar;
use meerkat_xmpp::{BareJid, FullJid, Jid};

fn jid_err(kind: &str, input: &str) -> Box<str> {
    format!("Invalid {kind}: {input}").into()
}

/// Any JID (bare or full).
#[derive(Clone, Debug, PartialEq, Eq, GraphQLScalar)]
#[graphql(name = "JID", from_input_with = Self::from_input, to_output_with = Self::to_output, parse_token(String))]
pub struct JidScalar(pub Jid);

impl JidScalar {
    fn from_input(s: &str) -> Result<Self, Box<str>> {
        Jid::new(s).map(JidScalar).map_err(|_| jid_err("JID", s))
    }
    fn to_output(&self) -> String {
        self.0.to_string()
    }
    /// As text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A JID without resource.
#[derive(Clone, Debug, PartialEq, Eq, GraphQLScalar)]
#[graphql(name = "BareJID", from_input_with = Self::from_input, to_output_with = Self::to_output, parse_token(String))]
pub struct BareJidScalar(pub BareJid);

impl BareJidScalar {
    fn from_input(s: &str) -> Result<Self, Box<str>> {
        BareJid::new(s)
            .map(BareJidScalar)
            .map_err(|_| jid_err("bare JID", s))
    }
    fn to_output(&self) -> String {
        self.0.to_string()
    }
}

/// A JID with resource.
#[derive(Clone, Debug, PartialEq, Eq, GraphQLScalar)]
#[graphql(name = "FullJID", from_input_with = Self::from_input, to_output_with = Self::to_output, parse_token(String))]
pub struct FullJidScalar(pub FullJid);

impl FullJidScalar {
    fn from_input(s: &str) -> Result<Self, Box<str>> {
        FullJid::new(s)
            .map(FullJidScalar)
            .map_err(|_| jid_err("full JID", s))
    }
    fn to_output(&self) -> String {
        self.0.to_string()
    }
}

macro_rules! string_scalar {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, GraphQLScalar)]
        #[graphql(name = $name, from_input_with = Self::from_input, to_output_with = Self::to_output, parse_token(String))]
        pub struct $ty(pub String);

        impl $ty {
            fn from_input(s: &str) -> Result<Self, Box<str>> {
                let check: fn(&str) -> Result<String, String> = $check;
                check(s).map($ty).map_err(|e| e.into())
            }
            fn to_output(&self) -> String {
                self.0.clone()
            }
            /// As text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

string_scalar!(
    /// A domain name (lower-cased).
    DomainName, "DomainName", |s| {
        let d = s.trim().to_lowercase();
        if d.is_empty() || d.contains(['@', '/', ' ']) { Err(format!("Invalid domain name: {s}")) } else { Ok(d) }
    }
);
string_scalar!(
    /// The local part of a JID.
    UserName, "UserName", |s| {
        BareJid::new(&format!("{s}@example.invalid")).map(|_| s.to_owned()).map_err(|_| format!("Invalid user name: {s}"))
    }
);
string_scalar!(
    /// A JID resource.
    ResourceName, "ResourceName", |s| {
        if s.is_empty() { Err("Invalid resource name: empty".to_owned()) } else { Ok(s.to_owned()) }
    }
);
string_scalar!(
    /// A MUC room name.
    RoomName, "RoomName", |s| {
        if s.is_empty() { Err("Invalid room name: empty".to_owned()) } else { Ok(s.to_owned()) }
    }
);
string_scalar!(
    /// A cluster node name (`self` is the current node).
    NodeName, "NodeName", |s| if s.is_empty() { Err("Invalid node name: empty".to_owned()) } else { Ok(s.to_owned()) }
);
string_scalar!(
    /// A non-empty string.
    NonEmptyString, "NonEmptyString", |s| if s.is_empty() { Err("Given string is empty".to_owned()) } else { Ok(s.to_owned()) }
);
string_scalar!(
    /// An XML element as text; validated by parsing.
    XmlElement, "XmlElement", |s| {
        meerkat_xmpp::Element::parse_str(s, &meerkat_xmpp::ParseLimits::default()).map(|_| s.to_owned()).map_err(|e| format!("Invalid XML: {e}"))
    }
);
string_scalar!(
    /// An XEP-0082 date-time (`YYYY-MM-DDTHH:mm:ssZ`).
    DateTime, "DateTime", |s| {
        if meerkat_core::util::parse_timestamp_us(s).is_some() { Ok(s.to_owned()) } else { Err(format!("Invalid DateTime: {s}")) }
    }
);

impl DateTime {
    /// From microseconds since the epoch.
    pub fn from_us(us: i64) -> Self {
        DateTime(meerkat_core::util::timestamp_us(us))
    }
    /// From seconds since the epoch.
    pub fn from_secs(s: i64) -> Self {
        DateTime(meerkat_core::util::timestamp_secs(s))
    }
    /// Microseconds since the epoch.
    pub fn micros(&self) -> i64 {
        meerkat_core::util::parse_timestamp_us(&self.0).unwrap_or(0)
    }
}

impl XmlElement {
    /// The parsed element (validated on input).
    pub fn element(&self) -> Option<meerkat_xmpp::Element> {
        meerkat_xmpp::Element::parse_str(&self.0, &meerkat_xmpp::ParseLimits::default()).ok()
    }
}

/// A positive integer (> 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLScalar)]
#[graphql(name = "PosInt", from_input_with = Self::from_input, to_output_with = Self::to_output, parse_token(i32))]
pub struct PosInt(pub i32);

impl PosInt {
    fn from_input(i: i32) -> Result<Self, Box<str>> {
        if i > 0 {
            Ok(PosInt(i))
        } else {
            Err(format!("Value is not a positive integer: {i}").into())
        }
    }
    #[allow(clippy::wrong_self_convention)] // juniper calls to_output with &Self
    fn to_output(&self) -> i32 {
        self.0
    }
}

/// A non-negative integer (>= 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLScalar)]
#[graphql(name = "NonNegInt", from_input_with = Self::from_input, to_output_with = Self::to_output, parse_token(i32))]
pub struct NonNegInt(pub i32);

impl NonNegInt {
    fn from_input(i: i32) -> Result<Self, Box<str>> {
        if i >= 0 {
            Ok(NonNegInt(i))
        } else {
            Err(format!("Value is not a non-negative integer: {i}").into())
        }
    }
    #[allow(clippy::wrong_self_convention)] // juniper calls to_output with &Self
    fn to_output(&self) -> i32 {
        self.0
    }
}
