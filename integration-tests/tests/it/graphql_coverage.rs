//! Which of MongooseIM's GraphQL operations the served schemas have, found by running the
//! standard introspection query over HTTP against the admin and user endpoints and
//! comparing every root field and every operation (name, arguments, optionality,
//! defaults and return type) with the inventory of the spec (section 5.5), kept in
//! `fixtures/graphql/{admin,user}_operations.txt` (regenerate them with
//! `fixtures/graphql/extract_operations.py`). Gaps are printed, then the test fails.
//!
//! Also checks that the admin operations in the schema and the domain-admin scope table
//! (`handler_graphql::scope::ADMIN`) name the same operations.

use crate::common::{fixture, http};
use crate::graphql::{ADMIN, Gql, USER};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// graphql-js's `getIntrospectionQuery()` (what GraphiQL sends), without the newer
/// optional parts.
pub const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  fields(includeDeprecated: true) {
    name
    description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

/// An introspected schema: its root type names and every type by name.
pub struct Schema {
    /// `queryType`, `mutationType`, `subscriptionType` names.
    pub roots: Vec<String>,
    /// `__schema.types` by name.
    pub types: BTreeMap<String, Value>,
}

impl Schema {
    /// Runs the introspection query at `listener` (with credentials if given).
    pub async fn fetch(g: &Gql, listener: usize, creds: Option<(&str, &str)>) -> Schema {
        let (status, body) = g
            .post(listener, creds, INTROSPECTION_QUERY, json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        let schema = &body["data"]["__schema"];
        let roots = ["queryType", "mutationType", "subscriptionType"]
            .iter()
            .filter_map(|k| schema[k]["name"].as_str().map(str::to_owned))
            .collect();
        let types = schema["types"]
            .as_array()
            .expect("types")
            .iter()
            .map(|t| (t["name"].as_str().unwrap_or_default().to_owned(), t.clone()))
            .collect();
        Schema { roots, types }
    }

    /// The fields of an object type.
    pub fn fields(&self, type_name: &str) -> Vec<Value> {
        self.types
            .get(type_name)
            .and_then(|t| t["fields"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Every operation: `(root type, root field, category type, operation field)`.
    pub fn operations(&self) -> Vec<(String, String, String, Value)> {
        let mut out = Vec::new();
        for root in &self.roots {
            for cat in self.fields(root) {
                let cat_name = cat["name"].as_str().unwrap_or_default().to_owned();
                if cat_name == "checkAuth" {
                    continue; // a root field of its own, not a category
                }
                let cat_type = named_type(&cat["type"]);
                if self
                    .types
                    .get(&cat_type)
                    .is_some_and(|t| t["kind"] == "OBJECT")
                {
                    for op in self.fields(&cat_type) {
                        out.push((root.clone(), cat_name.clone(), cat_type.clone(), op));
                    }
                }
            }
        }
        out
    }

    /// The inventory lines (see `extract_operations.py`) of this schema.
    pub fn inventory(&self) -> BTreeSet<String> {
        let mut lines = BTreeSet::new();
        for root in &self.roots {
            for cat in self.fields(root) {
                let name = cat["name"].as_str().unwrap_or_default();
                lines.insert(format!("{root}.{name} -> {}", render_type(&cat["type"])));
            }
        }
        for (_, _, cat_type, op) in self.operations() {
            let args: Vec<String> = op["args"]
                .as_array()
                .map(|a| a.iter().map(render_arg).collect())
                .unwrap_or_default();
            lines.insert(format!(
                "{cat_type}.{}({}) -> {}",
                op["name"].as_str().unwrap_or_default(),
                args.join(", "),
                render_type(&op["type"])
            ));
        }
        lines
    }
}

/// The named type inside NON_NULL/LIST wrappers.
pub fn named_type(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL" | "LIST") => named_type(&t["ofType"]),
        _ => t["name"].as_str().unwrap_or_default().to_owned(),
    }
}

/// GraphQL notation of a type reference (`[String!]!`).
pub fn render_type(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", render_type(&t["ofType"])),
        Some("LIST") => format!("[{}]", render_type(&t["ofType"])),
        _ => t["name"].as_str().unwrap_or_default().to_owned(),
    }
}

/// `name`, `name?` or `name?=default`.
fn render_arg(a: &Value) -> String {
    let name = a["name"].as_str().unwrap_or_default();
    let required = a["type"]["kind"] == "NON_NULL";
    match (required, a["defaultValue"].as_str()) {
        (true, None) => name.to_owned(),
        (_, Some(d)) => format!("{name}?={d}"),
        (false, None) => format!("{name}?"),
    }
}

fn expected(file: &str) -> BTreeSet<String> {
    let path = fixture(&format!("graphql/{file}"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Prints the differences; returns how many expected lines are missing or wrong.
fn report(endpoint: &str, expected: &BTreeSet<String>, served: &BTreeSet<String>) -> usize {
    let missing: Vec<&String> = expected.difference(served).collect();
    let extra: Vec<&String> = served.difference(expected).collect();
    let ops = |s: &BTreeSet<String>| s.iter().filter(|l| l.contains('(')).count();
    println!(
        "{endpoint}: {} of {} MongooseIM operations served with their exact signature",
        ops(expected) - missing.iter().filter(|l| l.contains('(')).count(),
        ops(expected)
    );
    for l in &missing {
        println!("  missing: {l}");
    }
    for l in &extra {
        println!("  not in MongooseIM (or a different signature): {l}");
    }
    missing.len() + extra.len()
}

#[actix_rt::test]
async fn schemas_serve_every_mongooseim_operation() {
    let g = Gql::start("").await;
    let admin = Schema::fetch(&g, ADMIN, Some(("admin", "secret"))).await;
    let user = Schema::fetch(&g, USER, None).await;
    let bad = report(
        "admin",
        &expected("admin_operations.txt"),
        &admin.inventory(),
    ) + report("user", &expected("user_operations.txt"), &user.inventory());

    // The scope table and the schema name the same admin operations.
    let in_schema: BTreeSet<String> = admin
        .operations()
        .into_iter()
        .map(|(_, _, ty, op)| format!("{ty}.{}", op["name"].as_str().unwrap_or_default()))
        .collect();
    let in_scope: BTreeSet<String> = handler_graphql::scope::ADMIN
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    let unscoped: Vec<_> = in_schema.difference(&in_scope).collect();
    let unserved: Vec<_> = in_scope.difference(&in_schema).collect();
    for op in &unscoped {
        println!("  in the schema, not in scope.rs: {op}");
    }
    for op in &unserved {
        println!("  in scope.rs, not in the schema: {op}");
    }
    g.server.stop().await;
    assert_eq!(
        bad + unscoped.len() + unserved.len(),
        0,
        "the schemas differ from MongooseIM's inventory (see above)"
    );
}

/// The GraphiQL page and every asset it loads are served, with the right types.
#[actix_rt::test]
async fn graphiql_page_and_assets_are_served_offline() {
    let g = Gql::start("").await;
    let url = g.url(ADMIN);
    let r = http()
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("<title>MongooseIM GraphiQL"), "{page}");
    assert!(
        !page.contains("https://"),
        "the page loads nothing from the internet"
    );
    let assets = handler_graphql::graphiql::ASSETS;
    assert!(!assets.is_empty());
    for asset in assets {
        assert!(
            page.contains(&format!("graphiql/{}", asset.name)),
            "{} not used",
            asset.name
        );
        let r = http()
            .get(format!("{url}/graphiql/{}", asset.name))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", asset.name);
        assert_eq!(
            r.headers()["content-type"],
            asset.content_type,
            "{}",
            asset.name
        );
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age"),
            "{}",
            asset.name
        );
        let body = r.bytes().await.unwrap();
        assert_eq!(body.len(), asset.bytes.len(), "{}", asset.name);
    }
    let r = http()
        .get(format!("{url}/graphiql/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    g.server.stop().await;
}
