//! JSONP, as the Go server's monitoring answers it: with `?callback=NAME`, a JSON body comes
//! back as `NAME(<json>)` with the type `application/javascript`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest JSON body wrapped; monitoring bodies are built in memory and far smaller (10,000
/// closed connections with their subscription lists fit well within it).
const JSONP_BODY_BYTES_MAX: usize = 256 * 1024 * 1024;

/// The `callback` query parameter, when given and not empty.
fn callback(request: &Request) -> Option<String> {
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(request.uri()).ok()?;
    pairs
        .0
        .into_iter()
        .find(|(name, _)| name == "callback")
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// Wraps a JSON response in the requested callback.
pub(super) async fn wrap(request: Request, next: Next) -> Response {
    let Some(callback) = callback(&request) else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == "application/json");
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(json) = axum::body::to_bytes(body, JSONP_BODY_BYTES_MAX).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    let mut wrapped = Vec::with_capacity(callback.len() + json.len() + 2);
    wrapped.extend_from_slice(callback.as_bytes());
    wrapped.push(b'(');
    wrapped.extend_from_slice(&json);
    wrapped.push(b')');
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(wrapped))
}
