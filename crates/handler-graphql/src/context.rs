//! The per-request context: who is asking (admin, domain admin, user, or nobody), which
//! categories are enabled, and the checks every resolver goes through.

use crate::scalars::{BareJidScalar, DomainName, FullJidScalar, JidScalar};
use crate::scope::{self, Scope};
use juniper::{FieldError, FieldResult, Object, Value};
use meerkat_core::Server;
use meerkat_core::commands::{CommandError, ErrorKind};
use meerkat_xmpp::{BareJid, FullJid, Jid};
use std::sync::Mutex;

/// The message of a request refused for lack of credentials.
pub const NO_CREDENTIALS: &str = "Cannot execute query without permissions";

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The global admin (admin endpoint).
    Admin,
    /// The admin of one domain (domain_admin endpoint), by domain.
    DomainAdmin(String),
    /// A user (user endpoint).
    User(BareJid),
    /// No credentials: only unprotected fields (`checkAuth`) may run.
    Unauthorized,
}

/// Context of one GraphQL request.
pub struct Ctx {
    /// The XMPP core.
    pub server: Server,
    /// Who is asking.
    pub auth: Auth,
    allowed: Option<Vec<String>>,
    /// Set when a protected field was asked for without credentials: the request then
    /// answers 401 `no_permissions` instead of data.
    pub(crate) denied: Mutex<Option<String>>,
    /// Permission-check pass: every guarded resolver stops right after its guard, so
    /// nothing runs unless the whole request is allowed (as MongooseIM checks
    /// permissions before executing anything).
    check_only: bool,
}

impl juniper::Context for Ctx {}

/// Builds a resolver error with `extensions.code` and extra string values.
pub fn error(code: &str, message: impl Into<String>, context: &[(&str, String)]) -> FieldError {
    let mut ext = Object::with_capacity(context.len() + 1);
    ext.add_field("code", Value::scalar(code.to_owned()));
    for (k, v) in context {
        ext.add_field(*k, Value::scalar(v.clone()));
    }
    FieldError::new(message.into(), Value::Object(ext))
}

/// MongooseIM's `deps_not_loaded` resolver error (`mongoose_graphql_directive_use`):
/// "Some of the required modules [, services] [and internal databases] are not loaded",
/// with the missing names (sorted) in `not_loaded_modules`, `not_loaded_services` and
/// `not_loaded_internal_databases`.
pub fn deps_not_loaded(
    modules: &[&str],
    services: &[&str],
    internal_databases: &[&str],
) -> FieldError {
    let mut ext = Object::with_capacity(4);
    ext.add_field("code", Value::scalar("deps_not_loaded".to_owned()));
    let mut kinds = Vec::new();
    for (kind, key, names) in [
        ("modules", "not_loaded_modules", modules),
        ("services", "not_loaded_services", services),
        (
            "internal databases",
            "not_loaded_internal_databases",
            internal_databases,
        ),
    ] {
        if names.is_empty() {
            continue;
        }
        let mut sorted = names.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        kinds.push(kind);
        ext.add_field(
            key,
            Value::list(
                sorted
                    .iter()
                    .map(|n| Value::scalar((*n).to_owned()))
                    .collect(),
            ),
        );
    }
    let kinds = match kinds.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    FieldError::new(
        format!("Some of the required {kinds} are not loaded"),
        Value::Object(ext),
    )
}

/// The GraphQL face of a command error, the one place its kind becomes a GraphQL error:
/// missing modules are MongooseIM's `deps_not_loaded` (the names, no context); every
/// other kind is the command's own code and message with its context values in
/// `extensions` (GraphQL has no status per kind: MongooseIM reports the code).
pub fn command_error(e: CommandError) -> FieldError {
    match e.kind {
        ErrorKind::ModuleNotLoaded { modules } => deps_not_loaded(&modules, &[], &[]),
        ErrorKind::BadRequest
        | ErrorKind::NotFound
        | ErrorKind::Denied
        | ErrorKind::Conflict
        | ErrorKind::Internal => error(
            e.code,
            e.message,
            &e.context
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect::<Vec<_>>(),
        ),
    }
}

/// Runs a command result through [`command_error`].
pub trait IntoField<T> {
    /// Converts the error.
    fn field(self) -> FieldResult<T>;
}

impl<T> IntoField<T> for Result<T, CommandError> {
    fn field(self) -> FieldResult<T> {
        self.map_err(command_error)
    }
}

impl Ctx {
    /// A context for one request.
    pub fn new(server: Server, auth: Auth, allowed: Option<Vec<String>>) -> Ctx {
        Ctx {
            server,
            auth,
            allowed,
            denied: Mutex::new(None),
            check_only: false,
        }
    }

    /// A context for the permission-check pass of a domain admin's request.
    pub fn for_permission_check(server: Server, auth: Auth, allowed: Option<Vec<String>>) -> Ctx {
        Ctx {
            check_only: true,
            ..Ctx::new(server, auth, allowed)
        }
    }

    /// Whether the permission-check pass found a refusal.
    pub fn is_denied(&self) -> bool {
        self.denied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Entry to a category (a root field): it must be enabled by `allowed_categories`,
    /// and (being protected) the caller must be authenticated.
    pub fn category(&self, name: &str) -> FieldResult<()> {
        if let Some(allowed) = &self.allowed
            && !allowed.iter().any(|a| a == name)
        {
            return Err(error(
                "category_disabled",
                "Category disabled",
                &[("category", name.to_owned())],
            ));
        }
        self.authenticated()
    }

    /// Fails (and marks the request for a 401) when nobody is authenticated.
    pub fn authenticated(&self) -> FieldResult<()> {
        if self.auth == Auth::Unauthorized {
            return Err(self.deny(NO_CREDENTIALS.to_owned()));
        }
        Ok(())
    }

    /// Refuses the whole request: MongooseIM checks permissions before executing
    /// anything, so a refused field turns the response into 401 `no_permissions`.
    fn deny(&self, message: String) -> FieldError {
        let mut denied = self.denied.lock().unwrap_or_else(|e| e.into_inner());
        denied.get_or_insert_with(|| message.clone());
        error("no_permissions", message, &[])
    }

    /// A service an operation needs is not available in meerkat.
    pub fn needs_service(&self, service: &str) -> FieldResult<()> {
        Err(deps_not_loaded(&[], &[service], &[]))
    }

    /// Domain-admin scoping of an admin operation (`Type.field`), with the values of the
    /// arguments its scope names. The scope itself is declared once, in [`scope::ADMIN`].
    ///
    /// Each value is given as the resolver holds it (a parsed JID scalar, a normalised
    /// domain name): the check reads the domain of that same parsed value, the one the
    /// command acts on, never a second reading of the text.
    pub fn guard(&self, op: &str, args: &[(&str, &dyn ScopeArg)]) -> FieldResult<()> {
        self.check_scope(op, args)?;
        if self.check_only {
            // Allowed; the check pass must not run the operation itself.
            return Err(error("permission_check", "checked", &[]));
        }
        Ok(())
    }

    fn check_scope(&self, op: &str, args: &[(&str, &dyn ScopeArg)]) -> FieldResult<()> {
        let Auth::DomainAdmin(own) = &self.auth else {
            return Ok(());
        };
        match scope::of(op) {
            Some(Scope::Global) => {
                Err(self.deny("Cannot execute query without a global admin permissions".to_owned()))
            }
            Some(Scope::Domain(names)) => {
                let bad: Vec<String> = args
                    .iter()
                    .filter(|(name, _)| names.contains(name))
                    .filter(|(_, value)| {
                        !value
                            .scope_domain()
                            .is_some_and(|d| self.domain_in_scope(own, &d))
                    })
                    .map(|(name, _)| (*name).to_owned())
                    .collect();
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(self.deny(format!(
                        "Cannot execute query without permissions to the given domain. Args with invalid value: {}",
                        bad.join(", ")
                    )))
                }
            }
            Some(Scope::Unguarded | Scope::DomainRecords) => Ok(()),
            None => {
                debug_assert!(false, "operation {op} has no declared scope");
                Err(error(
                    "no_permissions",
                    format!("Operation {op} has no declared permissions"),
                    &[],
                ))
            }
        }
    }

    /// Whether a (normalised) domain is `own` or a subdomain of it.
    fn domain_in_scope(&self, own: &str, domain: &str) -> bool {
        // A subdomain counts (e.g. a service such as muc.<own>), but not another served
        // domain that happens to end in .<own>: that is another tenant.
        domain == own
            || (domain
                .strip_suffix(own)
                .is_some_and(|head| head.len() > 1 && head.ends_with('.'))
                && !self.server.is_served_domain(domain))
    }

    /// The calling user (user endpoint).
    pub fn user(&self) -> FieldResult<&BareJid> {
        match &self.auth {
            Auth::User(j) => Ok(j),
            _ => {
                self.authenticated()?;
                Err(error("no_permissions", "Not a user", &[]))
            }
        }
    }

    /// Whether the caller may create accounts in `domain`, the domain part of a JID
    /// the command parsed (importUsers checks each record this way).
    pub fn may_touch_domain(&self, domain: &str) -> bool {
        match &self.auth {
            Auth::Admin => true,
            Auth::DomainAdmin(own) => self.domain_in_scope(own, domain),
            _ => false,
        }
    }
}

/// A value an operation's scope names (a JID or a domain), as the command will read it.
pub trait ScopeArg: Sync {
    /// The normalised domain the command acts on; `None` when the value names no valid
    /// domain (then a domain admin is refused).
    fn scope_domain(&self) -> Option<String>;
}

impl ScopeArg for Jid {
    fn scope_domain(&self) -> Option<String> {
        Some(self.domain().as_str().to_owned())
    }
}

impl ScopeArg for BareJid {
    fn scope_domain(&self) -> Option<String> {
        Some(self.domain().as_str().to_owned())
    }
}

impl ScopeArg for FullJid {
    fn scope_domain(&self) -> Option<String> {
        Some(self.domain().as_str().to_owned())
    }
}

impl ScopeArg for JidScalar {
    fn scope_domain(&self) -> Option<String> {
        self.0.scope_domain()
    }
}

impl ScopeArg for BareJidScalar {
    fn scope_domain(&self) -> Option<String> {
        self.0.scope_domain()
    }
}

impl ScopeArg for FullJidScalar {
    fn scope_domain(&self) -> Option<String> {
        self.0.scope_domain()
    }
}

/// A domain argument, normalised as the commands normalise it (trimmed, lower case:
/// `commands::local_domain`).
impl ScopeArg for DomainName {
    fn scope_domain(&self) -> Option<String> {
        let d = self.as_str().trim().to_lowercase();
        (!d.is_empty()).then_some(d)
    }
}

/// Raw text (an argument read before coercion, e.g. through look-ahead): read with the
/// commands' JID parser (stringprep, resource after the first `/`).
impl ScopeArg for str {
    fn scope_domain(&self) -> Option<String> {
        Jid::new(self).ok()?.scope_domain()
    }
}

impl ScopeArg for String {
    fn scope_domain(&self) -> Option<String> {
        self.as_str().scope_domain()
    }
}

impl<T: ScopeArg + ?Sized> ScopeArg for &T {
    fn scope_domain(&self) -> Option<String> {
        (**self).scope_domain()
    }
}

/// A missing optional argument names no domain: for a domain admin, the operation
/// would span every domain, and is refused.
impl<T: ScopeArg> ScopeArg for Option<T> {
    fn scope_domain(&self) -> Option<String> {
        self.as_ref()?.scope_domain()
    }
}
