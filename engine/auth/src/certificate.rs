//! `verify_and_map`: which configured user a verified client certificate names, with the Go
//! server's rules (auth.go `checkClientTLSCertSubject`): the e-mail addresses of the subject
//! alternative names first, then its DNS names, then its URIs, each looked up literally; then
//! the subject's distinguished name, compared with every user name that parses as a DN (RFC
//! 4514 text such as `CN=alice,OU=dev,O=acme`): attribute types ignore case, values do not,
//! and the RDNs may come in any order (go-ldap's `Equal`, then `RDNsMatch`).
//!
//! A user name is at most [`DN_BYTES_MAX`] bytes long to be read as a DN; longer names are
//! only ever matched literally.

use natrium_router::transport::PeerCertificate;

/// The longest user name parsed as a distinguished name.
pub const DN_BYTES_MAX: usize = 4096;

/// One RDN: a set of (type, value) pairs, types upper-cased.
type Rdn = Vec<(String, String)>;

/// The configured user name `certificate` names, if any; `known` says whether a name is a
/// configured user. `users` lists every configured user name (for the DN comparison).
pub(crate) fn mapped_user<'a>(
    certificate: &'a PeerCertificate,
    users: impl Iterator<Item = &'a str>,
    known: impl Fn(&str) -> bool,
) -> Option<String> {
    let literal = certificate
        .emails
        .iter()
        .chain(&certificate.dns_names)
        .chain(&certificate.uris)
        .find(|name| known(name));
    if let Some(name) = literal {
        return Some(name.clone());
    }
    let subject = normalized(&certificate.subject);
    if subject.is_empty() {
        return None;
    }
    users
        .filter(|name| name.len() <= DN_BYTES_MAX)
        .find(|name| parse_dn(name).is_some_and(|dn| same_rdns(&dn, &subject)))
        .map(str::to_owned)
}

/// Upper-cases attribute types and sorts each RDN's pairs, so sets compare as sets.
fn normalized(rdns: &[Vec<(String, String)>]) -> Vec<Rdn> {
    rdns.iter()
        .map(|rdn| {
            let mut pairs: Rdn = rdn
                .iter()
                .map(|(kind, value)| (kind.to_ascii_uppercase(), value.clone()))
                .collect();
            pairs.sort();
            pairs
        })
        .collect()
}

/// True when both DNs hold the same RDNs, in any order.
fn same_rdns(left: &[Rdn], right: &[Rdn]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    let mut unmatched: Vec<&Rdn> = right.iter().collect();
    for rdn in left {
        let Some(position) = unmatched.iter().position(|candidate| *candidate == rdn) else {
            return false;
        };
        unmatched.swap_remove(position);
    }
    true
}

/// Parses RFC 4514 text (`CN=a\,b,O=acme+OU=dev`) into normalized RDNs; `None` when the text
/// is not a DN (no `=`, an empty type, a dangling escape).
fn parse_dn(text: &str) -> Option<Vec<Rdn>> {
    let mut rdns = Vec::new();
    let mut rdn: Rdn = Vec::new();
    let mut kind = String::new();
    let mut value = String::new();
    let mut in_value = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                if in_value {
                    value.push(escaped)
                } else {
                    kind.push(escaped)
                }
            }
            '=' if !in_value => in_value = true,
            ',' | ';' | '+' => {
                rdn.push(attribute(&mut kind, &mut value, in_value)?);
                in_value = false;
                if c != '+' {
                    rdn.sort();
                    rdns.push(std::mem::take(&mut rdn));
                }
            }
            _ if in_value => value.push(c),
            _ => kind.push(c),
        }
    }
    rdn.push(attribute(&mut kind, &mut value, in_value)?);
    rdn.sort();
    rdns.push(rdn);
    Some(rdns)
}

/// One `type=value`, trimmed as go-ldap does; `None` without a type or an `=`.
fn attribute(kind: &mut String, value: &mut String, had_equals: bool) -> Option<(String, String)> {
    let parsed_kind = kind.trim().to_ascii_uppercase();
    let parsed_value = value.trim().to_owned();
    kind.clear();
    value.clear();
    (had_equals && !parsed_kind.is_empty()).then_some((parsed_kind, parsed_value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(kind: &str, value: &str) -> Vec<(String, String)> {
        vec![(kind.to_owned(), value.to_owned())]
    }

    fn certificate() -> PeerCertificate {
        PeerCertificate {
            // Certificate order: most significant first.
            subject: vec![
                pair("C", "US"),
                pair("O", "Acme, Inc."),
                pair("CN", "alice"),
            ],
            emails: vec!["alice@acme.test".to_owned()],
            dns_names: vec!["alice.acme.test".to_owned()],
            uris: vec![],
        }
    }

    fn map(users: &[&str]) -> Option<String> {
        let cert = certificate();
        mapped_user(&cert, users.iter().copied(), |name| users.contains(&name))
    }

    #[test]
    fn e_mail_before_dns_name_before_subject() {
        let all = [
            "CN=alice,O=Acme\\, Inc.,C=US",
            "alice.acme.test",
            "alice@acme.test",
        ];
        assert_eq!(map(&all).as_deref(), Some("alice@acme.test"));
        assert_eq!(map(&all[..2]).as_deref(), Some("alice.acme.test"));
        assert_eq!(map(&all[..1]).as_deref(), Some(all[0]));
    }

    #[test]
    fn subject_matches_in_any_order_with_types_in_any_case() {
        assert!(map(&["c=US, o=Acme\\, Inc., cn=alice"]).is_some());
        assert!(map(&["CN=alice,C=US,O=Acme\\, Inc."]).is_some());
        assert!(
            map(&["CN=Alice,O=Acme\\, Inc.,C=US"]).is_none(),
            "values keep case"
        );
        assert!(
            map(&["CN=alice,O=Acme\\, Inc."]).is_none(),
            "every RDN must match"
        );
        assert!(map(&["bob", "CN=bob,O=Acme\\, Inc.,C=US"]).is_none());
    }

    #[test]
    fn malformed_names_are_never_dns() {
        for text in ["", "alice", "=x", "CN=a\\", "CN=a,,O=b"] {
            assert!(parse_dn(text).is_none(), "{text:?}");
        }
        let multi = parse_dn("CN=a+OU=b,O=c").expect("multi-valued RDN");
        assert_eq!(multi.len(), 2);
        assert_eq!(multi.first().map(Vec::len), Some(2));
    }
}
