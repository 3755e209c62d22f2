//! GraphiQL, served by the binary itself so that it works without internet access.
//!
//! `GET <path>` with `Accept: text/html` answers the page; the page loads GraphiQL 2.4.7
//! and React 18 (vendored from npm in `assets/`, see `assets/README.md`) from
//! `<path>/graphiql/<file>`. Queries and mutations are POSTed to `<path>`; subscriptions
//! are read from `<path>/sse` as a stream. Credentials: a small form above GraphiQL sets
//! Basic credentials, or GraphiQL's header editor can set an `Authorization` header
//! (which then wins).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// A file the page loads.
#[derive(Debug)]
pub struct Asset {
    /// File name under `<path>/graphiql/`.
    pub name: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Content.
    pub bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every file served under `<path>/graphiql/` (about 1.5 MB in all).
pub static ASSETS: &[Asset] = &[
    Asset {
        name: "react.production.min.js",
        content_type: JS,
        bytes: include_bytes!("../assets/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: JS,
        bytes: include_bytes!("../assets/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: JS,
        bytes: include_bytes!("../assets/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: CSS,
        bytes: include_bytes!("../assets/graphiql.min.css"),
    },
    Asset {
        name: "LICENSE.graphiql",
        content_type: TEXT,
        bytes: include_bytes!("../assets/LICENSE.graphiql"),
    },
    Asset {
        name: "LICENSE.react",
        content_type: TEXT,
        bytes: include_bytes!("../assets/LICENSE.react"),
    },
    Asset {
        name: "LICENSE.react-dom",
        content_type: TEXT,
        bytes: include_bytes!("../assets/LICENSE.react-dom"),
    },
];

/// Assets are immutable for a given build: clients may keep them a day and revalidate
/// with the ETag.
const CACHE_CONTROL: &str = "public, max-age=86400";

/// An ETag per asset (a hash of its content, computed once).
fn etag(index: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                a.bytes.hash(&mut h);
                format!("\"{:016x}-{}\"", h.finish(), a.bytes.len())
            })
            .collect()
    });
    tags.get(index).map_or("\"\"", String::as_str)
}

/// `GET <path>/graphiql/{file}`.
pub fn asset(req: &HttpRequest, file: &str) -> HttpResponse {
    let Some((i, a)) = ASSETS.iter().enumerate().find(|(_, a)| a.name == file) else {
        return HttpResponse::NotFound()
            .content_type(TEXT)
            .body("no such GraphiQL asset\n");
    };
    let tag = etag(i);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut resp = if fresh {
        HttpResponse::build(StatusCode::NOT_MODIFIED)
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::ETAG, tag));
    if fresh {
        resp.finish()
    } else {
        resp.content_type(a.content_type).body(a.bytes)
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The endpoint's path as the route was mounted (not as the client spelled it).
fn endpoint_path(req: &HttpRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| req.path().to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The GraphiQL page for the endpoint at the request's path.
pub fn page(req: &HttpRequest) -> HttpResponse {
    let endpoint = endpoint_path(req);
    let base = html_escape(&endpoint);
    // A JSON string is a JS string literal; `</` must not close the script element.
    let endpoint_js = serde_json::to_string(&endpoint)
        .unwrap_or_else(|_| "\"\"".to_owned())
        .replace("</", "<\\/");
    let shown = if endpoint.is_empty() { "/" } else { &base };
    let html = format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MongooseIM GraphiQL · meerkat</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{base}/graphiql/graphiql.min.css">
<style>
html, body {{ height: 100%; margin: 0; overflow: hidden; }}
body {{ display: flex; flex-direction: column; font-family: system-ui, sans-serif; }}
#meerkat-bar {{ flex: none; display: flex; flex-wrap: wrap; gap: .6em; align-items: center;
  padding: .35em .8em; font-size: 13px; border-bottom: 1px solid #d0d4dc; }}
#meerkat-bar input {{ width: 10em; }}
#meerkat-bar .spacer {{ flex: 1; }}
#graphiql {{ flex: 1; min-height: 0; }}
</style>
</head>
<body>
<form id="meerkat-bar" autocomplete="off">
<strong>meerkat</strong> <code>{shown}</code>
<label>Basic credentials
<input name="user" placeholder="user" aria-label="user">
<input name="password" type="password" placeholder="password" aria-label="password"></label>
<button type="submit">Use</button>
<span id="meerkat-auth">no credentials</span>
<span class="spacer"></span>
<span>licenses: <a href="{base}/graphiql/LICENSE.graphiql">GraphiQL</a>,
<a href="{base}/graphiql/LICENSE.react">React</a>,
<a href="{base}/graphiql/LICENSE.react-dom">ReactDOM</a></span>
</form>
<div id="graphiql">Loading GraphiQL…</div>
<script src="{base}/graphiql/react.production.min.js"></script>
<script src="{base}/graphiql/react-dom.production.min.js"></script>
<script src="{base}/graphiql/graphiql.min.js"></script>
<script>
(function () {{
  "use strict";
  var endpoint = {endpoint_js};
  var basic = null;
  var form = document.getElementById("meerkat-bar");
  form.addEventListener("submit", function (e) {{
    e.preventDefault();
    var user = form.elements.user.value, password = form.elements.password.value;
    basic = user ? "Basic " + btoa(unescape(encodeURIComponent(user + ":" + password))) : null;
    document.getElementById("meerkat-auth").textContent =
      basic ? "credentials of " + user + " in use" : "no credentials";
  }});
  function headersFor(opts) {{
    var h = {{ "Accept": "application/json" }};
    var extra = (opts && opts.headers) || {{}};
    Object.keys(extra).forEach(function (k) {{ h[k] = extra[k]; }});
    var hasAuth = Object.keys(h).some(function (k) {{ return k.toLowerCase() === "authorization"; }});
    if (basic && !hasAuth) {{ h["Authorization"] = basic; }}
    return h;
  }}
  // The type of the operation to run (GraphiQL's parsed document may lag behind the
  // editor): scans the top-level definitions, skipping strings, comments and arguments.
  function isSubscription(params) {{
    var text = (params.query || "").replace(/"""[\s\S]*?"""/g, "\"\"")
      .replace(/"(?:[^"\\\n]|\\.)*"/g, "\"\"").replace(/#[^\n]*/g, "");
    var re = /[{{}}()]|[_A-Za-z][_0-9A-Za-z]*/g, m, depth = 0, parens = 0;
    var ops = [], pending = null, expectName = false;
    while ((m = re.exec(text))) {{
      var t = m[0];
      if (t === "{{") {{
        if (depth === 0 && parens === 0) {{
          ops.push(pending || {{ type: "query", name: null }});
          pending = null;
          expectName = false;
        }}
        depth++;
      }} else if (t === "}}") {{ depth--; }}
      else if (t === "(") {{ parens++; }}
      else if (t === ")") {{ parens--; }}
      else if (depth === 0 && parens === 0) {{
        if (expectName) {{ pending.name = t; expectName = false; }}
        else if (/^(query|mutation|subscription|fragment)$/.test(t)) {{
          pending = {{ type: t, name: null }};
          expectName = true;
        }}
      }}
    }}
    ops = ops.filter(function (o) {{ return o.type !== "fragment"; }});
    var op = params.operationName
      ? ops.find(function (o) {{ return o.name === params.operationName; }})
      : ops[0];
    return !!op && op.type === "subscription";
  }}
  async function* subscribe(params, headers) {{
    var q = new URLSearchParams();
    q.set("query", params.query);
    if (params.variables) {{ q.set("variables", JSON.stringify(params.variables)); }}
    if (params.operationName) {{ q.set("operationName", params.operationName); }}
    headers["Accept"] = "text/event-stream";
    var r = await fetch(endpoint + "/sse?" + q.toString(), {{ headers: headers }});
    if ((r.headers.get("content-type") || "").indexOf("text/event-stream") !== 0 || !r.body) {{
      yield await r.json();
      return;
    }}
    var reader = r.body.getReader(), decoder = new TextDecoder(), buf = "";
    for (;;) {{
      var chunk = await reader.read();
      if (chunk.done) {{ return; }}
      buf += decoder.decode(chunk.value, {{ stream: true }}).replace(/\r\n/g, "\n");
      var i;
      while ((i = buf.indexOf("\n\n")) >= 0) {{
        var data = buf.slice(0, i).split("\n")
          .filter(function (l) {{ return l.indexOf("data:") === 0; }})
          .map(function (l) {{ return l.slice(5).replace(/^ /, ""); }})
          .join("\n");
        buf = buf.slice(i + 2);
        if (data) {{ yield JSON.parse(data); }}
      }}
    }}
  }}
  function fetcher(params, opts) {{
    var headers = headersFor(opts);
    if (isSubscription(params)) {{ return subscribe(params, headers); }}
    headers["Content-Type"] = "application/json";
    return fetch(endpoint, {{ method: "POST", headers: headers, body: JSON.stringify(params) }})
      .then(function (r) {{ return r.json(); }});
  }}
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{
      fetcher: fetcher,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: true
    }}));
}})();
</script>
</body>
</html>
"##
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_embedded_and_small_enough() {
        let total: usize = ASSETS.iter().map(|a| a.bytes.len()).sum();
        assert!(total > 1_000_000 && total < 4_000_000, "{total} bytes");
        for a in ASSETS {
            assert!(!a.bytes.is_empty(), "{}", a.name);
        }
        let js = std::str::from_utf8(ASSETS[2].bytes).unwrap_or_default();
        assert!(js.contains("GraphiQL"));
        // Nothing is fetched from a CDN at run time (only a help text names CDNs).
        for cdn in ["//unpkg.com", "//cdn.jsdelivr.net", "//esm.sh", "//cdnjs."] {
            assert!(
                ASSETS
                    .iter()
                    .all(|a| !a.bytes.windows(cdn.len()).any(|w| w == cdn.as_bytes())),
                "{cdn}"
            );
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(html_escape("/a\"<b>&"), "/a&quot;&lt;b&gt;&amp;");
    }
}
