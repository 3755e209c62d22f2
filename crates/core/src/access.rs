//! MongooseIM's access control: `[acl]` access classes, `[access]` rules and `[shaper]`
//! definitions, and the rules meerkat applies.
//!
//! An access class is a list of patterns; a JID is in the class when one pattern
//! matches, and a pattern matches when all its conditions hold (`match`, which defaults
//! to `"current_domain"`, and any of `user`, `server`, `resource`, their `_regexp` and
//! `_glob` forms). An access rule is a list of `{acl, value}` clauses: the value of the
//! first clause whose class holds the JID, or `deny` when none does (or the rule does not
//! exist). The class `all` holds every JID and `none` none; the rule `all` is `allow` and
//! `none` is `deny`.
//!
//! The rules meerkat acts on:
//! - `max_user_sessions` (an integer or `"infinity"`): checked when a resource is bound.
//!   When a user has more sessions than that, the oldest is replaced (ended with a
//!   `conflict` stream error), as MongooseIM's session manager does. Without an integer
//!   or `"infinity"` the limit is MongooseIM's built-in 100.
//! - `max_user_offline_messages`, or the rule `mod_offline.access_max_user_messages`
//!   names: how many messages are kept offline for a user (default 100 without a
//!   number, meerkat's bound where MongooseIM has none).
//! - `c2s_shaper` (a shaper name or `"none"`): the traffic shaper of the client's
//!   incoming bytes on WebSocket and BOSH. A meerkat extension: MongooseIM shapes only
//!   its TCP listeners (their `shaper` option). Until the client authenticates it is
//!   evaluated for the stream's domain, afterwards for the user.
//!
//! `[host_config]` overrides are not read (the section is accepted with a warning), and
//! `register` is not consulted: meerkat has no in-band registration, and the admin
//! APIs that create accounts are not subject to it in MongooseIM either.

use crate::Server;
use crate::config::{Diagnostics, Limit, Positive, Section, type_name};
use crate::shaper::Shaper;
use meerkat_xmpp::BareJid;
use std::collections::HashMap;
use toml::Value;

/// MongooseIM's `max_user_sessions` when the rule gives no number.
pub const DEFAULT_MAX_USER_SESSIONS: u64 = 100;

/// The rule meerkat reads for the c2s traffic shaper of WebSocket and BOSH sessions.
pub const C2S_SHAPER_RULE: &str = "c2s_shaper";

/// What an access rule returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessValue {
    /// `"allow"` (and the result of the rule `all`).
    Allow,
    /// `"deny"` (no clause matched, the rule does not exist, or the rule `none`).
    Deny,
    /// An integer.
    Int(i64),
    /// Any other string: a shaper name, `"infinity"`, `"default"`...
    Name(String),
}

impl AccessValue {
    fn from_toml(v: &Value) -> Result<AccessValue, String> {
        match v {
            Value::Integer(i) => Ok(AccessValue::Int(*i)),
            Value::String(s) => Ok(match s.as_str() {
                "allow" => AccessValue::Allow,
                "deny" => AccessValue::Deny,
                _ => AccessValue::Name(s.clone()),
            }),
            other => Err(format!(
                "expected a string or an integer, found {}",
                type_name(other)
            )),
        }
    }

    /// The value as a limit: an integer (negative reads as 0) or `"infinity"`; `None`
    /// for anything else.
    pub fn limit(&self) -> Option<Limit> {
        match self {
            AccessValue::Int(i) => Some(Limit::Finite(u64::try_from(*i).unwrap_or(0))),
            AccessValue::Name(n) if n == "infinity" => Some(Limit::Infinity),
            _ => None,
        }
    }
}

/// `match` of an ACL pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MatchKind {
    All,
    None,
    CurrentDomain,
    AnyHostedDomain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    User,
    Server,
    Resource,
}

#[derive(Clone, Debug)]
enum Cond {
    Match(MatchKind),
    Eq(Part, String),
    Re(Part, regex_lite::Regex),
}

/// One ACL pattern: every condition must hold.
#[derive(Clone, Debug)]
struct Pattern(Vec<Cond>);

#[derive(Clone, Debug)]
struct Clause {
    acl: String,
    value: AccessValue,
}

/// `[acl]`, `[access]` and `[shaper]`.
#[derive(Clone, Debug, Default)]
pub struct AccessConfig {
    acls: HashMap<String, Vec<Pattern>>,
    rules: HashMap<String, Vec<Clause>>,
    shapers: HashMap<String, u64>,
}

/// The JID an access rule is evaluated for, in its normalised parts (empty when absent).
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// Local part.
    pub user: &'a str,
    /// Domain.
    pub server: &'a str,
    /// Resource.
    pub resource: &'a str,
}

impl<'a> Subject<'a> {
    /// A bare JID.
    pub fn bare(jid: &'a BareJid) -> Subject<'a> {
        Subject {
            user: jid.node().map_or("", |n| n.as_str()),
            server: jid.domain().as_str(),
            resource: "",
        }
    }
    /// A domain alone (a client that has not authenticated yet).
    pub fn domain(server: &'a str) -> Subject<'a> {
        Subject {
            user: "",
            server,
            resource: "",
        }
    }
}

impl AccessConfig {
    /// Evaluates `rule` for `who`. `current_domain` is the domain the rule is checked for
    /// (the subject's own, in every rule meerkat applies); `hosted` answers whether a
    /// domain is served here (for `match = "any_hosted_domain"`).
    pub fn evaluate(
        &self,
        rule: &str,
        who: Subject<'_>,
        current_domain: &str,
        hosted: &dyn Fn(&str) -> bool,
    ) -> AccessValue {
        match rule {
            "all" => return AccessValue::Allow,
            "none" => return AccessValue::Deny,
            _ => {}
        }
        let Some(clauses) = self.rules.get(rule) else {
            return AccessValue::Deny;
        };
        clauses
            .iter()
            .find(|c| self.in_class(&c.acl, who, current_domain, hosted))
            .map_or(AccessValue::Deny, |c| c.value.clone())
    }

    fn in_class(
        &self,
        acl: &str,
        who: Subject<'_>,
        current_domain: &str,
        hosted: &dyn Fn(&str) -> bool,
    ) -> bool {
        match acl {
            "all" => true,
            "none" => false,
            _ => self.acls.get(acl).is_some_and(|patterns| {
                patterns
                    .iter()
                    .any(|p| p.matches(who, current_domain, hosted))
            }),
        }
    }

    /// The `max_rate` of a defined shaper.
    pub fn shaper_rate(&self, name: &str) -> Option<u64> {
        self.shapers.get(name).copied()
    }

    /// Whether a rule is defined.
    pub fn has_rule(&self, rule: &str) -> bool {
        self.rules.contains_key(rule)
    }
}

impl Pattern {
    fn matches(
        &self,
        who: Subject<'_>,
        current_domain: &str,
        hosted: &dyn Fn(&str) -> bool,
    ) -> bool {
        self.0.iter().all(|c| match c {
            Cond::Match(MatchKind::All) => true,
            Cond::Match(MatchKind::None) => false,
            Cond::Match(MatchKind::CurrentDomain) => who.server == current_domain,
            Cond::Match(MatchKind::AnyHostedDomain) => hosted(who.server),
            Cond::Eq(part, v) => part.of(who) == v,
            Cond::Re(part, re) => re.is_match(part.of(who)),
        })
    }
}

impl Part {
    fn of(self, who: Subject<'_>) -> &str {
        match self {
            Part::User => who.user,
            Part::Server => who.server,
            Part::Resource => who.resource,
        }
    }
}

/// A shell glob as an anchored regular expression, as MongooseIM translates its
/// `*_glob` patterns: `*` any run, `?` any one character, `[...]` a set.
fn glob_to_regex(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len() + 8);
    out.push('^');
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                let mut set = String::new();
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == ']' {
                        closed = true;
                        break;
                    }
                    set.push(d);
                }
                if closed && !set.is_empty() {
                    out.push('[');
                    if let Some(rest) = set.strip_prefix('!') {
                        out.push('^');
                        set = rest.to_owned();
                    }
                    for d in set.chars() {
                        if matches!(d, '\\' | '[' | ']' | '^') {
                            out.push('\\');
                        }
                        out.push(d);
                    }
                    out.push(']');
                } else {
                    out.push_str(&regex_lite::escape(&format!("[{set}")));
                }
            }
            other => out.push_str(&regex_lite::escape(&other.to_string())),
        }
    }
    out.push('$');
    out
}

/// Reads `[acl]`, `[access]` and `[shaper]` (each may be absent).
pub fn read(
    acl: Option<Section<'_>>,
    access: Option<Section<'_>>,
    shaper: Option<Section<'_>>,
    diag: &mut Diagnostics,
) -> AccessConfig {
    let mut cfg = AccessConfig::default();
    if let Some(mut s) = shaper {
        let names: Vec<String> = s.table().keys().cloned().collect();
        for name in names {
            let Some(mut t) = s.table_opt(&name, diag) else {
                continue;
            };
            if let Some(Positive(rate)) = t.req::<Positive>("max_rate", diag) {
                cfg.shapers.insert(name, rate);
            }
            t.finish(diag);
        }
    }
    if let Some(mut s) = acl {
        let names: Vec<String> = s.table().keys().cloned().collect();
        for name in names {
            let patterns = s
                .tables(&name, diag)
                .into_iter()
                .filter_map(|p| read_pattern(p, diag))
                .collect();
            if name == "all" || name == "none" {
                diag.error(
                    s.key_path(&name),
                    format!("\"{name}\" is a built-in access class and cannot be redefined"),
                );
                continue;
            }
            cfg.acls.insert(name, patterns);
        }
    }
    if let Some(mut s) = access {
        let names: Vec<String> = s.table().keys().cloned().collect();
        for name in names {
            let mut clauses = Vec::new();
            for mut c in s.tables(&name, diag) {
                let acl = c.req::<String>("acl", diag);
                let value = if c.has("value") {
                    let path = c.key_path("value");
                    let raw = c.raw("value");
                    match raw.map(AccessValue::from_toml) {
                        Some(Ok(v)) => Some(v),
                        Some(Err(e)) => {
                            diag.error(path, e);
                            None
                        }
                        None => None,
                    }
                } else {
                    diag.error(c.key_path("value"), "mandatory option is missing");
                    None
                };
                if name == C2S_SHAPER_RULE
                    && let Some(AccessValue::Name(shaper)) = &value
                    && shaper != "none"
                    && !cfg.shapers.contains_key(shaper)
                {
                    diag.error(
                        c.key_path("value"),
                        format!("shaper \"{shaper}\" is not defined in [shaper]"),
                    );
                }
                c.finish(diag);
                if let (Some(acl), Some(value)) = (acl, value) {
                    clauses.push(Clause { acl, value });
                }
            }
            cfg.rules.insert(name, clauses);
        }
    }
    cfg
}

fn read_pattern(mut p: Section<'_>, diag: &mut Diagnostics) -> Option<Pattern> {
    let errors = diag.error_count();
    let mut conds = Vec::new();
    let kind = match p.opt::<String>("match", diag).as_deref() {
        None | Some("current_domain") => MatchKind::CurrentDomain,
        Some("all") => MatchKind::All,
        Some("none") => MatchKind::None,
        Some("any_hosted_domain") => MatchKind::AnyHostedDomain,
        Some(other) => {
            diag.error(
                p.key_path("match"),
                format!(
                    "expected \"all\", \"current_domain\", \"any_hosted_domain\" or \"none\", found \"{other}\""
                ),
            );
            MatchKind::None
        }
    };
    conds.push(Cond::Match(kind));
    for (key, part) in [
        ("user", Part::User),
        ("server", Part::Server),
        ("resource", Part::Resource),
    ] {
        if let Some(v) = p.opt::<String>(key, diag) {
            // User and domain names compare in their normalised (lower-case) form.
            let v = if part == Part::Resource {
                v
            } else {
                v.to_lowercase()
            };
            conds.push(Cond::Eq(part, v));
        }
        for (suffix, is_glob) in [("_regexp", false), ("_glob", true)] {
            let k = format!("{key}{suffix}");
            if let Some(v) = p.opt::<String>(&k, diag) {
                let source = if is_glob {
                    glob_to_regex(&v)
                } else {
                    v.clone()
                };
                match regex_lite::Regex::new(&source) {
                    Ok(re) => conds.push(Cond::Re(part, re)),
                    Err(e) => diag.error(
                        p.key_path(&k),
                        format!("\"{v}\" is not a regular expression meerkat supports: {e}"),
                    ),
                }
            }
        }
    }
    p.finish(diag);
    (diag.error_count() == errors).then_some(Pattern(conds))
}

impl Server {
    /// Evaluates the access rule `rule` for `who`, on the subject's own domain.
    pub fn access(&self, rule: &str, who: Subject<'_>) -> AccessValue {
        self.config()
            .access
            .evaluate(rule, who, who.server, &|d| self.is_served_domain(d))
    }

    /// How many sessions `user` may have at once (`max_user_sessions`).
    pub fn max_user_sessions(&self, user: &BareJid) -> usize {
        let limit = self
            .access("max_user_sessions", Subject::bare(user))
            .limit()
            .unwrap_or(Limit::Finite(DEFAULT_MAX_USER_SESSIONS));
        match limit {
            Limit::Infinity => usize::MAX,
            // MongooseIM keeps the new session even with a limit of 0.
            Limit::Finite(n) => usize::try_from(n).unwrap_or(usize::MAX).max(1),
        }
    }

    /// How many messages may be stored offline for `user` (`None` = no limit): the rule
    /// `mod_offline.access_max_user_messages` names, by default
    /// `max_user_offline_messages`.
    pub fn max_offline_messages(&self, user: &BareJid) -> Option<u64> {
        let rule = self
            .module::<crate::offline::Offline>()
            .and_then(|m| m.access_rule.as_deref())
            .unwrap_or("max_user_offline_messages");
        match self.access(rule, Subject::bare(user)).limit() {
            Some(Limit::Finite(n)) => Some(n),
            Some(Limit::Infinity) => None,
            None => Some(crate::offline::DEFAULT_MAX_MESSAGES),
        }
    }

    /// The traffic shaper for a client's incoming bytes (`c2s_shaper`): the shaper's
    /// name and a fresh bucket, or `None` for no shaping.
    pub fn c2s_shaper(&self, who: Subject<'_>) -> Option<(String, Shaper)> {
        match self.access(C2S_SHAPER_RULE, who) {
            AccessValue::Name(name) => {
                let rate = self.config().access.shaper_rate(&name)?;
                Some((name, Shaper::new(rate)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Table;

    fn read_str(s: &str) -> (AccessConfig, Diagnostics) {
        let t: Table = toml::from_str(s).unwrap();
        let mut d = Diagnostics::default();
        let mut top = Section::new("", &t);
        let acl = top.table_opt("acl", &mut d);
        let access = top.table_opt("access", &mut d);
        let shaper = top.table_opt("shaper", &mut d);
        let cfg = read(acl, access, shaper, &mut d);
        (cfg, d)
    }

    fn who<'a>(user: &'a str, server: &'a str, resource: &'a str) -> Subject<'a> {
        Subject {
            user,
            server,
            resource,
        }
    }

    fn eval(cfg: &AccessConfig, rule: &str, w: Subject<'_>) -> AccessValue {
        cfg.evaluate(rule, w, w.server, &|d| d == "a.test" || d == "b.test")
    }

    #[test]
    fn mongooseim_default_rules() {
        let (cfg, d) = read_str(
            r#"
[shaper.normal]
  max_rate = 16_384
[acl]
  local = [{}]
[access]
  max_user_sessions = [{acl = "all", value = 10}]
  max_user_offline_messages = [{acl = "admin", value = 5000}, {acl = "all", value = 100}]
  local = [{acl = "local", value = "allow"}]
  c2s = [{acl = "blocked", value = "deny"}, {acl = "all", value = "allow"}]
"#,
        );
        assert!(d.is_ok() && d.warnings.is_empty(), "{d}");
        let alice = who("alice", "a.test", "");
        assert_eq!(eval(&cfg, "max_user_sessions", alice), AccessValue::Int(10));
        assert_eq!(
            eval(&cfg, "max_user_offline_messages", alice),
            AccessValue::Int(100)
        );
        assert_eq!(eval(&cfg, "local", alice), AccessValue::Allow);
        assert_eq!(eval(&cfg, "c2s", alice), AccessValue::Allow);
        assert_eq!(eval(&cfg, "missing", alice), AccessValue::Deny);
        assert_eq!(eval(&cfg, "all", alice), AccessValue::Allow);
        assert_eq!(eval(&cfg, "none", alice), AccessValue::Deny);
        assert_eq!(cfg.shaper_rate("normal"), Some(16_384));
        // `{}` is the current domain only.
        assert!(!cfg.in_class("local", alice, "b.test", &|_| true));
    }

    #[test]
    fn patterns() {
        let (cfg, d) = read_str(
            r#"
[acl]
  admin = [{user = "Alice", server = "a.test"}, {user = "root", match = "all"}]
  mobile = [{resource = "mobile"}]
  ae = [{user_regexp = "^a.*e$"}]
  globbed = [{user_glob = "b?b*", server_glob = "*.test"}]
  hosted = [{match = "any_hosted_domain"}]
  nobody = [{match = "none"}]
  everyone = [{match = "all"}]
[access]
  r = [{acl = "admin", value = "admin"}, {acl = "mobile", value = 2}, {acl = "ae", value = "ae"}, {acl = "globbed", value = "g"}, {acl = "nobody", value = "x"}, {acl = "hosted", value = "h"}, {acl = "everyone", value = "e"}]
"#,
        );
        assert!(d.is_ok(), "{d}");
        let name = |s: &str| AccessValue::Name(s.into());
        assert_eq!(eval(&cfg, "r", who("alice", "a.test", "")), name("admin"));
        assert_eq!(eval(&cfg, "r", who("alice", "b.test", "")), name("ae"));
        assert_eq!(eval(&cfg, "r", who("root", "x.org", "")), name("admin"));
        assert_eq!(
            eval(&cfg, "r", who("zed", "a.test", "mobile")),
            AccessValue::Int(2)
        );
        assert_eq!(eval(&cfg, "r", who("bobby", "c.test", "")), name("g"));
        assert_eq!(eval(&cfg, "r", who("zed", "b.test", "")), name("h"));
        assert_eq!(eval(&cfg, "r", who("zed", "x.org", "")), name("e"));
    }

    #[test]
    fn config_errors_have_paths() {
        let (_, d) = read_str(
            r#"
[shaper.fast]
  rate = 5
[shaper.zero]
  max_rate = 0
[acl]
  bad = [{user_regexp = "(?<=a)b"}, {match = "some"}, {nick = "x"}]
  all = [{}]
[access]
  c2s_shaper = [{acl = "all", value = "turbo"}, {acl = "all"}, {value = 1}, {acl = "all", value = 1.5}]
"#,
        );
        let got: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            got[..2],
            [
                "shaper.fast.max_rate: mandatory option is missing",
                "shaper.fast.rate: unknown option",
            ]
        );
        assert!(got[2].starts_with("shaper.zero.max_rate: expected a positive integer"));
        assert!(
            got[3].starts_with(
                "acl.bad[0].user_regexp: \"(?<=a)b\" is not a regular expression meerkat supports"
            ),
            "{got:?}"
        );
        assert_eq!(
            got[4..],
            [
                "acl.bad[1].match: expected \"all\", \"current_domain\", \"any_hosted_domain\" or \"none\", found \"some\"",
                "acl.bad[2].nick: unknown option",
                "acl.all: \"all\" is a built-in access class and cannot be redefined",
                "access.c2s_shaper[0].value: shaper \"turbo\" is not defined in [shaper]",
                "access.c2s_shaper[1].value: mandatory option is missing",
                "access.c2s_shaper[2].acl: mandatory option is missing",
                "access.c2s_shaper[3].value: expected a string or an integer, found a float",
            ]
        );
    }

    #[test]
    fn globs() {
        let re = |g: &str| regex_lite::Regex::new(&glob_to_regex(g)).unwrap();
        assert!(re("a*e*").is_match("alice"));
        assert!(!re("a*e*").is_match("bob"));
        assert!(re("res???").is_match("res123"));
        assert!(!re("res???").is_match("res12"));
        assert!(re("[ab]x").is_match("bx"));
        assert!(re("[!ab]x").is_match("cx"));
        assert!(!re("[!ab]x").is_match("ax"));
        assert!(re("a.b").is_match("a.b"));
        assert!(!re("a.b").is_match("axb"));
        assert!(re("[unclosed").is_match("[unclosed"));
    }
}
