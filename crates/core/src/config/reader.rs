//! A TOML table reader that records every problem with its path instead of stopping at
//! the first, and reports keys nobody asked for as unknown.

use super::diag::{Diagnostics, index, join};
use toml::{Table, Value};

/// Reads typed options out of one TOML table. Call [`Section::finish`] once every option
/// was taken: whatever is left is reported as an unknown option.
pub struct Section<'a> {
    path: String,
    table: &'a Table,
    taken: Vec<&'a str>,
}

impl<'a> Section<'a> {
    /// A reader for `table`, found at `path`.
    pub fn new(path: impl Into<String>, table: &'a Table) -> Self {
        Section {
            path: path.into(),
            table,
            taken: Vec::new(),
        }
    }

    /// The TOML path of this table.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of one of this table's keys.
    pub fn key_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The underlying table.
    pub fn table(&self) -> &'a Table {
        self.table
    }

    /// Whether the key is present.
    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Marks a key as consumed and returns its raw value.
    pub fn raw(&mut self, key: &str) -> Option<&'a Value> {
        let (k, v) = self.table.get_key_value(key)?;
        self.taken.push(k.as_str());
        Some(v)
    }

    /// An optional option; a value of the wrong shape is recorded as an error and read as absent.
    pub fn opt<T: FromToml>(&mut self, key: &str, diag: &mut Diagnostics) -> Option<T> {
        let value = self.raw(key)?;
        match T::from_toml(value) {
            Ok(v) => Some(v),
            Err(msg) => {
                diag.error(self.key_path(key), msg);
                None
            }
        }
    }

    /// An option with a default.
    pub fn get_or<T: FromToml>(&mut self, key: &str, default: T, diag: &mut Diagnostics) -> T {
        self.opt(key, diag).unwrap_or(default)
    }

    /// A mandatory option; absence is an error.
    pub fn req<T: FromToml>(&mut self, key: &str, diag: &mut Diagnostics) -> Option<T> {
        if !self.has(key) {
            diag.error(self.key_path(key), "mandatory option is missing");
            return None;
        }
        self.opt(key, diag)
    }

    /// A nested table; a non-table value is an error.
    pub fn table_opt(&mut self, key: &str, diag: &mut Diagnostics) -> Option<Section<'a>> {
        let path = self.key_path(key);
        match self.raw(key)? {
            Value::Table(t) => Some(Section::new(path, t)),
            other => {
                diag.error(
                    path,
                    format!("expected a table, found {}", type_name(other)),
                );
                None
            }
        }
    }

    /// An array of tables (`[[x]]`); a lone table is accepted as an array of one.
    pub fn tables(&mut self, key: &str, diag: &mut Diagnostics) -> Vec<Section<'a>> {
        let path = self.key_path(key);
        match self.raw(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::Table(t) => Some(Section::new(index(&path, i), t)),
                    other => {
                        diag.error(
                            index(&path, i),
                            format!("expected a table, found {}", type_name(other)),
                        );
                        None
                    }
                })
                .collect(),
            Some(Value::Table(t)) => vec![Section::new(index(&path, 0), t)],
            Some(other) => {
                diag.error(
                    path,
                    format!("expected an array of tables, found {}", type_name(other)),
                );
                Vec::new()
            }
        }
    }

    /// Keys not taken yet, in file order.
    pub fn remaining(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + '_ {
        self.table
            .iter()
            .filter(|(k, _)| !self.taken.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Reports every key that was not taken as an unknown option.
    pub fn finish(self, diag: &mut Diagnostics) {
        for (k, _) in self.remaining() {
            diag.error(join(&self.path, k), "unknown option");
        }
    }

    /// Reports every key that was not taken as accepted-but-ignored (a MongooseIM option
    /// meerkat knows of but does not implement).
    pub fn finish_ignoring(self, diag: &mut Diagnostics, why: &str) {
        for (k, _) in self.remaining() {
            diag.warn(join(&self.path, k), why.to_owned());
        }
    }
}

/// The TOML type name of a value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// Conversion of one TOML value into an option's type, with a message on mismatch.
pub trait FromToml: Sized {
    /// Converts or explains why not.
    fn from_toml(v: &Value) -> Result<Self, String>;
}

impl FromToml for bool {
    fn from_toml(v: &Value) -> Result<Self, String> {
        v.as_bool()
            .ok_or_else(|| format!("expected a boolean, found {}", type_name(v)))
    }
}

impl FromToml for String {
    fn from_toml(v: &Value) -> Result<Self, String> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("expected a string, found {}", type_name(v)))
    }
}

macro_rules! int_from_toml {
    ($($t:ty),*) => {$(
        impl FromToml for $t {
            fn from_toml(v: &Value) -> Result<Self, String> {
                let i = v.as_integer().ok_or_else(|| format!("expected an integer, found {}", type_name(v)))?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range ({}..={})", <$t>::MIN, <$t>::MAX))
            }
        }
    )*};
}
int_from_toml!(u8, u16, u32, u64, usize, i64);

impl<T: FromToml> FromToml for Vec<T> {
    fn from_toml(v: &Value) -> Result<Self, String> {
        let items = v
            .as_array()
            .ok_or_else(|| format!("expected an array, found {}", type_name(v)))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_toml(item).map_err(|e| format!("item {i}: {e}")))
            .collect()
    }
}

/// A positive or non-negative integer, or the string "infinity" (MongooseIM's limit syntax).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// No limit.
    Infinity,
    /// At most this much.
    Finite(u64),
}

impl Limit {
    /// The finite value, if any.
    pub fn finite(self) -> Option<u64> {
        match self {
            Limit::Infinity => None,
            Limit::Finite(n) => Some(n),
        }
    }
}

impl FromToml for Limit {
    fn from_toml(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) if s == "infinity" => Ok(Limit::Infinity),
            Value::Integer(i) if *i >= 0 => Ok(Limit::Finite(*i as u64)),
            Value::Integer(i) => Err(format!(
                "expected a non-negative integer or \"infinity\", found {i}"
            )),
            other => Err(format!(
                "expected a non-negative integer or \"infinity\", found {}",
                type_name(other)
            )),
        }
    }
}

/// A positive integer (> 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Positive(pub u64);

impl FromToml for Positive {
    fn from_toml(v: &Value) -> Result<Self, String> {
        match v.as_integer() {
            Some(i) if i > 0 => Ok(Positive(i as u64)),
            Some(i) => Err(format!("expected a positive integer, found {i}")),
            None => Err(format!(
                "expected a positive integer, found {}",
                type_name(v)
            )),
        }
    }
}

/// A positive integer or "infinity".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositiveLimit(pub Limit);

impl FromToml for PositiveLimit {
    fn from_toml(v: &Value) -> Result<Self, String> {
        match Limit::from_toml(v) {
            Ok(Limit::Finite(0)) => {
                Err("expected a positive integer or \"infinity\", found 0".into())
            }
            Ok(l) => Ok(PositiveLimit(l)),
            Err(_) => Err(format!(
                "expected a positive integer or \"infinity\", found {}",
                describe(v)
            )),
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Integer(i) => i.to_string(),
        Value::String(s) => format!("\"{s}\""),
        other => type_name(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn collects_every_problem_with_paths() {
        let t = table("port = \"x\"\nbogus = 1\n[inner]\nflag = 3\n");
        let mut d = Diagnostics::default();
        let mut s = Section::new("listen.http[0]", &t);
        assert_eq!(s.opt::<u16>("port", &mut d), None);
        assert_eq!(s.req::<String>("path", &mut d), None);
        let mut inner = s.table_opt("inner", &mut d).unwrap();
        assert_eq!(inner.opt::<bool>("flag", &mut d), None);
        inner.finish(&mut d);
        s.finish(&mut d);
        let msgs: Vec<String> = d.errors.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "listen.http[0].port: expected an integer, found a string",
                "listen.http[0].path: mandatory option is missing",
                "listen.http[0].inner.flag: expected a boolean, found an integer",
                "listen.http[0].bogus: unknown option",
            ]
        );
    }

    #[test]
    fn limits() {
        let t = table("a = \"infinity\"\nb = 5\nc = -1\nd = 0\ne = \"lots\"");
        let mut d = Diagnostics::default();
        let mut s = Section::new("", &t);
        assert_eq!(s.opt::<Limit>("a", &mut d), Some(Limit::Infinity));
        assert_eq!(s.opt::<Limit>("b", &mut d), Some(Limit::Finite(5)));
        assert_eq!(s.opt::<Limit>("c", &mut d), None);
        assert_eq!(s.opt::<PositiveLimit>("d", &mut d), None);
        assert_eq!(s.opt::<PositiveLimit>("e", &mut d), None);
        assert_eq!(d.errors.len(), 3);
        assert_eq!(
            d.errors[2].message,
            "expected a positive integer or \"infinity\", found \"lots\""
        );
    }

    #[test]
    fn out_of_range_integer() {
        let t = table("port = 70000");
        let mut d = Diagnostics::default();
        assert_eq!(Section::new("", &t).opt::<u16>("port", &mut d), None);
        assert_eq!(d.errors[0].message, "70000 is out of range (0..=65535)");
    }
}
