//! The REST APIs' documentation, served from the binary: Swagger UI at
//! `<path>/api-docs/` with its assets, and the OpenAPI document generated from the
//! handlers at `<path>/api-docs/swagger.json`.

use crate::common::{TestServer, http};
use serde_json::Value;

const CONFIG: &str = r#"
[general]
  hosts = ["localhost"]
[[listen.http]]
  port = 0
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_client_api]]
    host = "_"
    path = "/client"
  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "/admin"
    handlers = ["users", "contacts"]
  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "/nodocs"
    docs = false
"#;

#[actix_rt::test]
async fn rest_docs_swagger_ui_and_generated_documents() {
    let s = TestServer::start(CONFIG).await;
    let c = http();
    let get = |path: &str| c.get(s.url(0, path)).send();

    // The UI: its page, its assets, and an initializer pointing at this API's document.
    let r = get("/client/api-docs").await.unwrap();
    assert_eq!(r.status(), 200, "redirected to the trailing-slash page");
    assert_eq!(r.url().path(), "/client/api-docs/");
    let page = r.text().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    for (asset, kind) in [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui.css", "css"),
        ("swagger-initializer.js", "javascript"),
    ] {
        let r = get(&format!("/client/api-docs/{asset}")).await.unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.contains(kind), "{asset}: {ct}");
        let body = r.text().await.unwrap();
        assert!(body.len() > 100, "{asset}");
        if asset == "swagger-initializer.js" {
            assert!(body.contains("\"/client/api-docs/swagger.json\""), "{body}");
        }
    }
    assert_eq!(
        get("/client/api-docs/..%2F..%2F..%2Fetc%2Fpasswd")
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        get("/client/api-docs/nothing.js").await.unwrap().status(),
        404
    );

    // The client document: OpenAPI 3.1, the mount path as server, every group's paths.
    let doc: Value = get("/client/api-docs/swagger.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/client");
    assert_eq!(
        doc["components"]["securitySchemes"]["basic"]["scheme"],
        "basic"
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/contacts",
        "/contacts/{jid}",
        "/messages",
        "/messages/{with}",
        "/sse",
        "/rooms",
        "/rooms/{id}",
        "/rooms/{id}/config",
        "/rooms/{id}/users",
        "/rooms/{id}/users/{user}",
        "/rooms/{id}/messages",
    ] {
        assert!(paths.contains_key(p), "{p} in {:?}", paths.keys());
    }
    assert_eq!(
        doc["paths"]["/contacts"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/ErrorMessage"
    );

    // The admin document lists only the enabled groups.
    let doc: Value = get("/admin/api-docs/swagger.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["servers"][0]["url"], "/admin");
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(paths.iter().any(|p| p.starts_with("/users")));
    assert!(paths.iter().any(|p| p.starts_with("/contacts")));
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/users") || p.starts_with("/contacts")),
        "{paths:?}"
    );

    // docs = false: nothing served.
    assert_eq!(
        get("/nodocs/api-docs/swagger.json").await.unwrap().status(),
        404
    );
    assert_eq!(get("/nodocs/api-docs/").await.unwrap().status(), 404);
}
