//! GraphiQL, served by the binary itself so that it works without internet access.

use actix_web::{HttpRequest, HttpResponse};

/// The GraphiQL page for the endpoint at the request's path.
pub fn page(req: &HttpRequest) -> HttpResponse {
    let endpoint = req.path().trim_end_matches('/').to_owned();
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>meerkat GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<h1>meerkat GraphiQL</h1>
<p>GraphQL endpoint: <code>{endpoint}</code> (POST JSON <code>{{"query": ...}}</code>); subscriptions at <code>{endpoint}/sse</code>.</p>
</body>
</html>"#
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}
