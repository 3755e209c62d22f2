//! Hardened parsing of one complete XML element.
//!
//! Parsing is done by [`rxml`], which implements the restricted XML subset
//! XMPP requires (RFC 6120 §11.1): DTDs (and therefore entity definitions,
//! "billion laughs"), processing instructions and comments are rejected, only
//! the five predefined entities and character references are expanded, the
//! input must be UTF-8, and namespace well-formedness is enforced.
//!
//! On top of that, [`ParseLimits`] bound the input size (checked before any
//! parsing), the nesting depth, the attribute count per element, and what the
//! tree may hold: its number of nodes and its bytes of text. The budgets are
//! checked while parsing, so a refused input stops the parser early instead of
//! building a large tree first.
//!
//! Memory: the parser holds the input, a scratch buffer of at most the input's
//! size (rxml's), and the tree. In the tree, each element costs 88 bytes
//! (its [`Node`]) plus its name beyond 24 bytes, each attribute 64 bytes plus
//! its value, each text node 88 bytes plus its text; element child lists are
//! shrunk to fit when the element ends. The densest input (`<a/>`, 4 bytes a
//! node) thus costs about 22 bytes per input byte, and `max_nodes` caps that
//! part at about 1.4 MiB by default, whatever the input size.
//!
//! Text handling: character data is kept exactly (CDATA sections and
//! references are resolved, XML end-of-line handling turns `\r\n` and `\r`
//! into `\n`), except that whitespace-only text nodes inside an element that
//! has child elements are dropped (they are formatting between elements).
//! Consecutive character data is always a single [`Node::Text`].

use rxml::error::EndOrError;
use rxml::{Event, Parse, Parser, WithOptions};

use crate::element::{Attr, Element, Node};

/// Resource limits applied by [`Element::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Maximum input size in bytes (checked before parsing).
    pub max_bytes: usize,
    /// Maximum element nesting depth; the root element is at depth 1.
    pub max_depth: usize,
    /// Maximum number of attributes on one element (namespace declarations
    /// are not counted).
    pub max_attrs: usize,
    /// Maximum number of nodes in the tree: every element (the root
    /// included), attribute and text node counts one. Namespace declarations
    /// and whitespace dropped as formatting do not count.
    pub max_nodes: usize,
    /// Maximum bytes of character data in the tree: the text of every text
    /// node plus every attribute value, after unescaping. Unescaping never
    /// makes text longer, so a value of at least `max_bytes` never triggers.
    pub max_text: usize,
}

/// The default [`ParseLimits::max_nodes`]: 16,384 nodes, 1.4 MiB of tree
/// structure at most. Real stanzas need one node per 10 bytes or more, so
/// this admits any realistic stanza up to about 160 KiB.
pub const DEFAULT_MAX_NODES: usize = 16_384;

impl Default for ParseLimits {
    /// 1 MiB, depth 64, 64 attributes, [`DEFAULT_MAX_NODES`] nodes, 1 MiB of text.
    fn default() -> Self {
        ParseLimits {
            max_bytes: 1_048_576,
            max_depth: 64,
            max_attrs: 64,
            max_nodes: DEFAULT_MAX_NODES,
            max_text: 1_048_576,
        }
    }
}

/// Why [`Element::parse`] rejected its input.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The input is larger than [`ParseLimits::max_bytes`].
    #[error("input larger than {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// Elements are nested deeper than [`ParseLimits::max_depth`].
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// An element has more attributes than [`ParseLimits::max_attrs`].
    #[error("too many attributes on one element")]
    TooManyAttributes,
    /// The tree would hold more nodes than [`ParseLimits::max_nodes`].
    #[error("more than {limit} elements, attributes and text nodes")]
    TooManyNodes {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The tree would hold more text than [`ParseLimits::max_text`].
    #[error("more than {limit} bytes of text")]
    TooMuchText {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The input is not well-formed (or not namespace-well-formed) XML,
    /// or not UTF-8.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// The input is empty or contains only whitespace (and possibly an XML
    /// declaration).
    #[error("no element in input")]
    Empty,
    /// Something other than whitespace follows the root element.
    #[error("content after the root element")]
    TrailingContent,
    /// The input uses an XML feature XMPP forbids (RFC 6120 §11.1): DTDs,
    /// processing instructions, comments, over-long tokens. The usual
    /// reaction is a `<restricted-xml/>` stream error.
    #[error("restricted XML: {0}")]
    Forbidden(String),
}

/// An open element while parsing.
struct Open {
    el: Element,
    /// Whether it has element children yet.
    has_children: bool,
    /// Whether its last node is whitespace-only text, which is dropped as
    /// formatting if an element follows, or at the end if it has children.
    trailing_ws: bool,
}

impl Open {
    /// Drops a trailing whitespace-only text node (formatting between elements).
    fn drop_trailing_whitespace(&mut self, tally: &mut Tally) {
        if std::mem::take(&mut self.trailing_ws)
            && let Some(Node::Text(t)) = self.el.nodes.pop()
        {
            tally.nodes = tally.nodes.saturating_sub(1);
            tally.text = tally.text.saturating_sub(t.len());
        }
    }
}

/// What the tree holds so far, for the budgets of [`ParseLimits`].
///
/// A whitespace-only text node may still be dropped as formatting, so the
/// budgets are checked when the tree's content is known to stay: after an
/// element starts or ends, and after text that is not whitespace-only. The
/// tree can therefore exceed a budget by one pending whitespace node only,
/// and an input is refused exactly when the tree it would give exceeds one.
#[derive(Default)]
struct Tally {
    nodes: usize,
    text: usize,
}

impl Tally {
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        if self.nodes > limits.max_nodes {
            Err(ParseError::TooManyNodes {
                limit: limits.max_nodes,
            })
        } else if self.text > limits.max_text {
            Err(ParseError::TooMuchText {
                limit: limits.max_text,
            })
        } else {
            Ok(())
        }
    }
}

fn is_xml_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_whitespace_text(s: &str) -> bool {
    s.bytes().all(is_xml_whitespace)
}

/// Maps an rxml error raised before the end of the root element.
fn map_error(e: rxml::Error, input: &[u8]) -> ParseError {
    match e {
        rxml::Error::RestrictedXml(what) => ParseError::Forbidden(what.to_owned()),
        // Only an XML declaration (and whitespace) before the end of input.
        rxml::Error::InvalidEof(Some(rxml::error::ErrorContext::DocumentBegin)) => {
            ParseError::Empty
        }
        other => {
            // rxml reports `<!DOCTYPE` as an unexpected byte after `<!`; name it.
            if contains(input, b"<!DOCTYPE") || contains(input, b"<!ENTITY") {
                ParseError::Forbidden("document type declaration".to_owned())
            } else {
                ParseError::Malformed(other.to_string())
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl Element {
    /// Parses exactly one complete XML element (optionally preceded by an XML
    /// declaration and whitespace, optionally followed by whitespace).
    ///
    /// Namespaces are resolved: [`Element::name`] is the local name,
    /// [`Element::ns`] the namespace URI (`""` when no namespace is in scope).
    /// See the [module documentation](self) for text handling.
    ///
    /// Never panics, whatever the input.
    pub fn parse(input: &[u8], limits: &ParseLimits) -> Result<Element, ParseError> {
        if input.len() > limits.max_bytes {
            return Err(ParseError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        if input.iter().copied().all(is_xml_whitespace) {
            return Err(ParseError::Empty);
        }
        let options = rxml::Options {
            // rxml reserves `max_token_length` bytes of scratch space up
            // front. No token (name, attribute value, text chunk) can be
            // longer than the input, so the input length bounds it without
            // restricting anything, and keeps the reservation proportional
            // to the input (a fixed large value would cost a big allocation
            // per stanza; `usize::MAX` would even abort the allocation).
            max_token_length: input.len(),
            ..rxml::Options::default()
        };
        let mut parser = Parser::with_options(options);
        let mut buf = input;
        let mut stack: Vec<Open> = Vec::with_capacity(limits.max_depth.min(8));
        let mut root: Option<Element> = None;
        let mut started = false;
        let mut tally = Tally::default();

        loop {
            let event = match parser.parse(&mut buf, true) {
                Ok(Some(ev)) => ev,
                Ok(None) => break,
                Err(EndOrError::NeedMoreData) => {
                    // Cannot happen with at_eof = true; treat as truncation.
                    return Err(ParseError::Malformed("unexpected end of input".to_owned()));
                }
                Err(EndOrError::Error(e)) => {
                    if root.is_some() {
                        return Err(ParseError::TrailingContent);
                    }
                    return Err(map_error(e, input));
                }
            };
            match event {
                Event::XmlDeclaration(..) => {}
                Event::StartElement(_, (ns, name), attrs) => {
                    if root.is_some() {
                        return Err(ParseError::TrailingContent);
                    }
                    started = true;
                    if stack.len() >= limits.max_depth {
                        return Err(ParseError::TooDeep {
                            limit: limits.max_depth,
                        });
                    }
                    if attrs.len() > limits.max_attrs {
                        return Err(ParseError::TooManyAttributes);
                    }
                    if let Some(parent) = stack.last_mut() {
                        parent.drop_trailing_whitespace(&mut tally);
                        parent.has_children = true;
                    }
                    tally.nodes = tally.nodes.saturating_add(1).saturating_add(attrs.len());
                    tally.check(limits)?;
                    let mut el_attrs = Vec::with_capacity(attrs.len());
                    for ((a_ns, a_name), value) in attrs {
                        tally.text = tally.text.saturating_add(value.len());
                        el_attrs.push(Attr::from_parts(a_ns, a_name.into_inner(), value));
                    }
                    tally.check(limits)?;
                    stack.push(Open {
                        el: Element {
                            name: name.into_inner(),
                            ns,
                            attrs: el_attrs,
                            nodes: Vec::new(),
                        },
                        has_children: false,
                        trailing_ws: false,
                    });
                }
                Event::Text(_, text) => {
                    // rxml only reports text inside the root element.
                    if let Some(top) = stack.last_mut()
                        && !text.is_empty()
                    {
                        let chunk_ws = is_whitespace_text(&text);
                        tally.text = tally.text.saturating_add(text.len());
                        match top.el.nodes.last_mut() {
                            Some(Node::Text(t)) => {
                                t.push_str(&text);
                                top.trailing_ws &= chunk_ws;
                            }
                            _ => {
                                top.el.nodes.push(Node::Text(text));
                                tally.nodes = tally.nodes.saturating_add(1);
                                top.trailing_ws = chunk_ws;
                            }
                        }
                        if !top.trailing_ws {
                            tally.check(limits)?;
                        }
                    }
                }
                Event::EndElement(_) => {
                    let Some(mut open) = stack.pop() else {
                        return Err(ParseError::Malformed("unbalanced end tag".to_owned()));
                    };
                    if open.has_children {
                        open.drop_trailing_whitespace(&mut tally);
                    }
                    // A whitespace-only text node kept in a text-only element
                    // now counts for good.
                    tally.check(limits)?;
                    // No spare capacity stays in the tree.
                    open.el.nodes.shrink_to_fit();
                    match stack.last_mut() {
                        Some(parent) => {
                            parent.el.nodes.push(Node::Element(open.el));
                            parent.trailing_ws = false;
                        }
                        None => root = Some(open.el),
                    }
                }
            }
        }
        match root {
            Some(el) => Ok(el),
            None if !started => Err(ParseError::Empty),
            None => Err(ParseError::Malformed("unexpected end of input".to_owned())),
        }
    }

    /// [`Element::parse`] for a string.
    pub fn parse_str(input: &str, limits: &ParseLimits) -> Result<Element, ParseError> {
        Element::parse(input.as_bytes(), limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ns;

    fn p(s: &str) -> Result<Element, ParseError> {
        Element::parse_str(s, &ParseLimits::default())
    }

    #[test]
    fn parses_stanza() {
        let e = p(
            "<?xml version='1.0'?>\n<message xmlns='jabber:client' to='a@b' \
                   xml:lang='en'><body>  hi &amp; &lt;bye&gt; &#x1F980; </body>\
                   <x xmlns='urn:x' a=\"1\"/></message>  \n",
        )
        .unwrap();
        assert!(e.is("message", ns::CLIENT));
        assert_eq!(e.attr("to"), Some("a@b"));
        assert_eq!(e.attr("xml:lang"), Some("en"));
        let body = e.get_child("body", ns::CLIENT).unwrap();
        assert_eq!(body.text(), "  hi & <bye> 🦀 ");
        let x = e.get_child("x", "urn:x").unwrap();
        assert_eq!(x.attr("a"), Some("1"));
    }

    #[test]
    fn prefixes_are_resolved() {
        let e = p(
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams' \
                   xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
                   <stream:x/><y/></stream:features>",
        )
        .unwrap();
        assert!(e.is("features", ns::STREAM));
        assert!(e.has_child("bind", ns::BIND));
        assert!(e.has_child("x", ns::STREAM));
        assert!(e.has_child("y", ns::CLIENT));

        let e = p("<body xmlns='http://jabber.org/protocol/httpbind' \
                   xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' rid='1'/>")
        .unwrap();
        assert_eq!(e.attr_ns(ns::XBOSH, "version"), Some("1.0"));
        assert_eq!(e.attr("version"), None);
        assert_eq!(e.attr("rid"), Some("1"));
        assert_eq!(e.attrs().count(), 1);

        let e = p("<a><b/></a>").unwrap();
        assert_eq!(e.ns(), "");
        assert_eq!(e.children().next().unwrap().ns(), "");

        let e = p("<a xmlns='u'><b xmlns=''/></a>").unwrap();
        assert_eq!(e.children().next().unwrap().ns(), "");
    }

    #[test]
    fn whitespace_handling() {
        let e =
            p("<iq xmlns='jabber:client'>\n  <query xmlns='q'>\n    <item/>\n  </query>\n</iq>")
                .unwrap();
        assert_eq!(e.nodes().count(), 1);
        let q = e.get_child("query", "q").unwrap();
        assert_eq!(q.nodes().count(), 1);
        // Text-only element: whitespace kept exactly.
        let e = p("<body>  hi </body>").unwrap();
        assert_eq!(e.text(), "  hi ");
        let e = p("<body>   </body>").unwrap();
        assert_eq!(e.text(), "   ");
        // Meaningful mixed content kept, pure formatting dropped.
        let e = p("<p>hello <b>x</b> world<i/> <i/></p>").unwrap();
        let texts: Vec<_> = e.nodes().filter_map(Node::as_text).collect();
        assert_eq!(texts, vec!["hello ", " world"]);
        assert_eq!(e.nodes().count(), 5);
        // CDATA and references merge into one text node; CRLF normalized.
        let e = p("<a>x<![CDATA[<y>]]>&amp;z\r\nw\r</a>").unwrap();
        assert_eq!(e.nodes().count(), 1);
        assert_eq!(e.text(), "x<y>&z\nw\n");
        let e = p("<a v='a\tb\nc'/>").unwrap();
        assert_eq!(e.attr("v"), Some("a b c"));
        let e = p("<a v='a&#9;b&#10;c&#13;'/>").unwrap();
        assert_eq!(e.attr("v"), Some("a\tb\nc\r"));
    }

    #[test]
    fn rejects_dtd_and_entities() {
        let billion_laughs = "<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY lol 'lol'>\n\
            <!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>\n]>\n\
            <lolz>&lol2;</lolz>";
        assert!(matches!(p(billion_laughs), Err(ParseError::Forbidden(_))));
        assert!(matches!(
            p("<!DOCTYPE a><a/>"),
            Err(ParseError::Forbidden(_))
        ));
        assert!(matches!(p("<a>&lol;</a>"), Err(ParseError::Malformed(_))));
        assert!(matches!(p("<a b='&x;'/>"), Err(ParseError::Malformed(_))));
    }

    #[test]
    fn rejects_pi_and_comments() {
        assert!(matches!(
            p("<?php echo 1; ?><a/>"),
            Err(ParseError::Forbidden(_))
        ));
        assert!(matches!(
            p("<a><?pi x?></a>"),
            Err(ParseError::Forbidden(_))
        ));
        assert!(matches!(
            p("<a><!-- c --></a>"),
            Err(ParseError::Forbidden(_))
        ));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "<a></b>",
            "<a>",
            "<a",
            "<a><b></a></b>",
            "<p:a/>",
            "<a p:x='1'/>",
            "<a x='1' x='2'/>",
            "<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
            "<a x=1/>",
            "text",
            "<a>\u{1}</a>",
            "<a>&#0;</a>",
            "<1a/>",
            "</a>",
            "<a xmlns:p=''/>",
        ] {
            assert!(
                matches!(p(bad), Err(ParseError::Malformed(_))),
                "{bad:?} -> {:?}",
                p(bad)
            );
        }
        assert!(matches!(
            Element::parse(b"<a>\xff</a>", &ParseLimits::default()),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(
            Element::parse(b"<a x='\xc3\x28'/>", &ParseLimits::default()),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn rejects_trailing_content() {
        assert_eq!(p("<a/><b/>"), Err(ParseError::TrailingContent));
        assert_eq!(p("<a/>x"), Err(ParseError::TrailingContent));
        assert_eq!(p("<a></a><"), Err(ParseError::TrailingContent));
        assert_eq!(p("<a/><!-- -->"), Err(ParseError::TrailingContent));
        assert!(p("<a/> \r\n\t").is_ok());
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(p(""), Err(ParseError::Empty));
        assert_eq!(p("  \n\t\r "), Err(ParseError::Empty));
        assert_eq!(p("<?xml version='1.0'?>"), Err(ParseError::Empty));
        assert_eq!(p("<?xml version='1.0'?>  "), Err(ParseError::Empty));
    }

    #[test]
    fn limits() {
        let limits = ParseLimits {
            max_bytes: 12,
            max_depth: 2,
            max_attrs: 2,
            ..ParseLimits::default()
        };
        assert_eq!(
            Element::parse_str("<a>0123456789</a>", &limits),
            Err(ParseError::TooLarge { limit: 12 })
        );
        assert!(Element::parse_str("<a><b/></a>", &limits).is_ok());
        assert_eq!(
            Element::parse_str("<a><b><c/></b></a>", &limits).map(|_| ()),
            Err(ParseError::TooLarge { limit: 12 })
        );
        let limits = ParseLimits {
            max_bytes: 1000,
            max_depth: 2,
            max_attrs: 2,
            ..ParseLimits::default()
        };
        assert_eq!(
            Element::parse_str("<a><b><c/></b></a>", &limits),
            Err(ParseError::TooDeep { limit: 2 })
        );
        assert!(Element::parse_str("<a x='1' y='2' xmlns='u' xmlns:p='v'/>", &limits).is_ok());
        assert_eq!(
            Element::parse_str("<a x='1' y='2' z='3'/>", &limits),
            Err(ParseError::TooManyAttributes)
        );
        let deep = "<a>".repeat(65) + &"</a>".repeat(65);
        assert_eq!(p(&deep), Err(ParseError::TooDeep { limit: 64 }));
        let ok = "<a>".repeat(64) + &"</a>".repeat(64);
        assert!(p(&ok).is_ok());
        let big = format!("<a>{}</a>", "x".repeat(1_048_576));
        assert_eq!(p(&big), Err(ParseError::TooLarge { limit: 1_048_576 }));
        // Long attribute values are fine within max_bytes.
        let long_attr = format!("<a v='{}'/>", "x".repeat(100_000));
        assert_eq!(
            p(&long_attr).unwrap().attr("v").map(str::len),
            Some(100_000)
        );
    }

    #[test]
    fn huge_limits_do_not_overflow() {
        // Found by fuzzing: the limit used to be handed to rxml, which
        // reserved that much memory up front.
        for max_bytes in [usize::MAX, 1 << 40] {
            let limits = ParseLimits {
                max_bytes,
                max_depth: usize::MAX,
                max_attrs: usize::MAX,
                max_nodes: usize::MAX,
                max_text: usize::MAX,
            };
            let e = Element::parse_str("<a b='c'>d<e/></a>", &limits).unwrap();
            assert_eq!(e.attr("b"), Some("c"));
        }
    }

    #[test]
    fn zero_limits() {
        let limits = ParseLimits {
            max_bytes: 0,
            max_depth: 0,
            max_attrs: 0,
            ..ParseLimits::default()
        };
        assert_eq!(
            Element::parse_str("<a/>", &limits),
            Err(ParseError::TooLarge { limit: 0 })
        );
        assert_eq!(Element::parse_str("", &limits), Err(ParseError::Empty));
        let limits = ParseLimits {
            max_bytes: 100,
            max_depth: 0,
            max_attrs: 0,
            ..ParseLimits::default()
        };
        assert_eq!(
            Element::parse_str("<a/>", &limits),
            Err(ParseError::TooDeep { limit: 0 })
        );
    }

    #[test]
    fn large_text_is_one_node() {
        let s = format!("<a>{}</a>", "xy&amp;".repeat(50_000));
        let e = p(&s).unwrap();
        assert_eq!(e.nodes().count(), 1);
        assert_eq!(e.text().len(), 150_000);
    }

    fn budget(max_nodes: usize, max_text: usize) -> ParseLimits {
        ParseLimits {
            max_nodes,
            max_text,
            ..ParseLimits::default()
        }
    }

    #[test]
    fn node_budget_counts_elements_attributes_and_text() {
        // message, 2 attributes, body, its text: 5 nodes.
        let s = "<message to='a' type='chat'><body>hi</body></message>";
        assert!(Element::parse_str(s, &budget(5, 100)).is_ok());
        assert_eq!(
            Element::parse_str(s, &budget(4, 100)),
            Err(ParseError::TooManyNodes { limit: 4 })
        );
        // Formatting whitespace does not count, nor do namespace declarations.
        let s = "<a xmlns='u' xmlns:p='v'>\n  <b/>\n  <c/>\n</a>";
        assert!(Element::parse_str(s, &budget(3, 0)).is_ok());
        assert!(Element::parse_str(s, &budget(2, 0)).is_err());
        // Kept whitespace (a text-only element) counts.
        assert!(Element::parse_str("<a>  </a>", &budget(2, 2)).is_ok());
        assert_eq!(
            Element::parse_str("<a>  </a>", &budget(1, 2)),
            Err(ParseError::TooManyNodes { limit: 1 })
        );
        // Merged text (CDATA, references) is one node.
        assert!(Element::parse_str("<a>x<![CDATA[y]]>&amp;z</a>", &budget(2, 4)).is_ok());
    }

    #[test]
    fn text_budget_counts_text_and_attribute_values() {
        let s = "<a v='123'>45<b w='6'/>  <c>7 </c></a>";
        // 3 + 2 + 1 + 2 bytes; the whitespace between elements is dropped.
        assert!(Element::parse_str(s, &budget(100, 8)).is_ok());
        assert_eq!(
            Element::parse_str(s, &budget(100, 7)),
            Err(ParseError::TooMuchText { limit: 7 })
        );
        // Text is counted after unescaping.
        assert!(Element::parse_str("<a>&amp;&#x1F980;</a>", &budget(100, 5)).is_ok());
        assert!(Element::parse_str("<a>&amp;&#x1F980;</a>", &budget(100, 4)).is_err());
    }

    #[test]
    fn dense_input_is_refused_early() {
        // 100k tiny elements: 400 KB, under max_bytes, over the node budget.
        let s = format!("<r>{}</r>", "<a/>".repeat(100_000));
        assert_eq!(
            p(&s),
            Err(ParseError::TooManyNodes {
                limit: DEFAULT_MAX_NODES
            })
        );
        let s = format!("<r>{}</r>", "<a b='' c=''/>".repeat(10_000));
        assert_eq!(
            p(&s),
            Err(ParseError::TooManyNodes {
                limit: DEFAULT_MAX_NODES
            })
        );
        let s = format!("<r>{}</r>", "x<a/>".repeat(10_000));
        assert!(matches!(p(&s), Err(ParseError::TooManyNodes { .. })));
        // Exactly at the budget is fine.
        let s = format!("<r>{}</r>", "<a/>".repeat(DEFAULT_MAX_NODES - 1));
        assert_eq!(p(&s).unwrap().nodes().count(), DEFAULT_MAX_NODES - 1);
    }

    #[test]
    fn node_sizes_match_the_documented_costs() {
        // The module documentation's memory figures; on 64-bit targets.
        if size_of::<usize>() == 8 {
            assert_eq!(size_of::<Node>(), 88);
            assert_eq!(size_of::<Element>(), 88);
            assert_eq!(size_of::<Attr>(), 64);
        }
    }
}
