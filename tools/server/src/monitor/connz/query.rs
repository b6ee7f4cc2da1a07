//! The `/connz` query string, decoded in the Go server's order and with its error texts.

use super::super::{BadRequest, Params, query_bool, query_int};
use super::sort::SortBy;

/// The page size when `limit` is absent or not positive (Go's `DefaultConnListSize`).
const CONNECTION_LIST_SIZE_DEFAULT: i64 = 1024;

/// Go's `state` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StateFilter {
    Open,
    Closed,
    /// `any` or `all`.
    Any,
}

/// What `subs` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subscriptions {
    None,
    /// `subs=1`: `subscriptions_list`, subjects only.
    Subjects,
    /// `subs=detail`: `subscriptions_list_detail`.
    Detail,
}

/// The decoded query.
#[derive(Debug)]
pub(super) struct ConnzQuery {
    pub sort: SortBy,
    pub auth: bool,
    pub subscriptions: Subscriptions,
    pub offset: i64,
    pub limit: i64,
    /// 0 selects every connection.
    pub cid: u64,
    pub state: StateFilter,
    /// `user=`: only connections of this authorized user.
    pub user: Option<String>,
    /// `acc=`: only connections of this account.
    pub account: Option<String>,
}

fn decode_state(params: &Params) -> Result<StateFilter, BadRequest> {
    let text = params.get("state").map_or("", String::as_str);
    match text.to_ascii_lowercase().as_str() {
        "" | "open" => Ok(StateFilter::Open),
        "closed" => Ok(StateFilter::Closed),
        "any" | "all" => Ok(StateFilter::Any),
        _ => Err(BadRequest(format!("Error decoding state for {text}"))),
    }
}

fn decode_subscriptions(params: &Params) -> Result<Subscriptions, BadRequest> {
    match params.get("subs").map(String::as_str) {
        Some(text) if text.eq_ignore_ascii_case("detail") => Ok(Subscriptions::Detail),
        _ if query_bool(params, "subs")? => Ok(Subscriptions::Subjects),
        _ => Ok(Subscriptions::None),
    }
}

/// Go's `decodeUint64`; absent or empty is 0.
fn query_uint(params: &Params, name: &str) -> Result<u64, BadRequest> {
    match params.get(name).map(String::as_str) {
        None | Some("") => Ok(0),
        Some(text) => text.parse().map_err(|_| {
            BadRequest(format!(
                "Error decoding uint64 for '{name}': strconv.ParseUint: parsing {text:?}: \
                 invalid syntax"
            ))
        }),
    }
}

/// Decodes and checks the query: parameters first (each with its decoding error), then the
/// sort key and whether it fits the state, as nats-server's `HandleConnz` and `Connz` do.
pub(super) fn decode(params: &Params) -> Result<ConnzQuery, BadRequest> {
    let sort_text = params.get("sort").map_or("", String::as_str);
    let auth = query_bool(params, "auth")?;
    let subscriptions = decode_subscriptions(params)?;
    let offset = query_int(params, "offset")?.max(0);
    let limit = query_int(params, "limit")?;
    let cid = query_uint(params, "cid")?;
    let state = decode_state(params)?;
    let Some(sort) = SortBy::parse(sort_text) else {
        return Err(BadRequest(format!("invalid sorting option: {sort_text}")));
    };
    if let Some(key) = sort.closed_only()
        && state != StateFilter::Closed
    {
        return Err(BadRequest(format!(
            "sort by {key} only valid on closed connections"
        )));
    }
    let limit = if cid > 0 {
        1
    } else if limit > 0 {
        limit
    } else {
        CONNECTION_LIST_SIZE_DEFAULT
    };
    Ok(ConnzQuery {
        sort,
        auth,
        subscriptions,
        offset,
        limit,
        cid,
        state,
        user: params.get("user").filter(|user| !user.is_empty()).cloned(),
        account: params.get("acc").filter(|acc| !acc.is_empty()).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn decode_text(text: &str) -> Result<ConnzQuery, String> {
        let params: BTreeMap<String, String> = text
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        decode(&axum::extract::Query(params)).map_err(|bad| bad.0)
    }

    #[test]
    fn defaults_and_cid() {
        let query = decode_text("").expect("empty query");
        assert_eq!((query.sort, query.state), (SortBy::Cid, StateFilter::Open));
        assert_eq!((query.offset, query.limit, query.cid), (0, 1024, 0));
        let query = decode_text("cid=5&limit=7&state=ANY&subs=detail").expect("query");
        assert_eq!(
            (query.cid, query.limit, query.state),
            (5, 1, StateFilter::Any)
        );
        assert_eq!(query.subscriptions, Subscriptions::Detail);
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(
            decode_text("sort=bogus").unwrap_err(),
            "invalid sorting option: bogus"
        );
        assert_eq!(
            decode_text("sort=stop").unwrap_err(),
            "sort by stop only valid on closed connections"
        );
        assert_eq!(
            decode_text("sort=reason&state=any").unwrap_err(),
            "sort by reason only valid on closed connections"
        );
        assert!(decode_text("sort=reason&state=closed").is_ok());
        assert_eq!(
            decode_text("cid=x").unwrap_err(),
            "Error decoding uint64 for 'cid': strconv.ParseUint: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            decode_text("state=sideways").unwrap_err(),
            "Error decoding state for sideways"
        );
    }
}
