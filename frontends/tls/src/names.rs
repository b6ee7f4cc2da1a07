//! What natrium reads from a verified client certificate: the names `verify_and_map` maps to
//! a user, and the SubjectPublicKeyInfo hash `pinned_certs` lists. The certificate was already
//! verified by rustls; parsing it again cannot panic (x509-parser returns errors), and every
//! list kept is bounded by [`NAMES_MAX`].

use natrium_router::transport::PeerCertificate;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::X509Certificate;

/// Names of one kind kept from a certificate, at most.
pub const NAMES_MAX: usize = 256;

/// The attribute types go-ldap (used by the Go server for DN matching) names; others are
/// written as dotted OIDs.
const ATTRIBUTE_NAMES: &[(&str, &str)] = &[
    ("2.5.4.6", "C"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("0.9.2342.19200300.100.1.25", "DC"),
];

/// Parses a DER certificate; `None` when it does not parse (rustls accepted it, so this
/// would be a gap between the two parsers; the connection is then refused).
pub fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, certificate)| certificate)
}

/// The names of `certificate` for mapping it to a user.
pub fn peer_certificate(certificate: &X509Certificate<'_>) -> PeerCertificate {
    let mut names = PeerCertificate::default();
    for rdn in certificate.subject().iter().take(NAMES_MAX) {
        let pairs = rdn
            .iter()
            .take(NAMES_MAX)
            .filter_map(|attribute| {
                let oid = attribute.attr_type().to_id_string();
                let kind = ATTRIBUTE_NAMES
                    .iter()
                    .find(|(id, _)| *id == oid)
                    .map_or(oid.clone(), |(_, short)| (*short).to_owned());
                let value = attribute.as_str().ok()?.to_owned();
                Some((kind, value))
            })
            .collect();
        names.subject.push(pairs);
    }
    if let Ok(Some(alternative)) = certificate.subject_alternative_name() {
        for name in &alternative.value.general_names {
            let (list, value) = match name {
                GeneralName::RFC822Name(email) => (&mut names.emails, *email),
                GeneralName::DNSName(dns) => (&mut names.dns_names, *dns),
                GeneralName::URI(uri) => (&mut names.uris, *uri),
                _ => continue,
            };
            if list.len() < NAMES_MAX {
                list.push(value.to_owned());
            }
        }
    }
    names
}

/// Lower-case hex SHA-256 of the certificate's SubjectPublicKeyInfo (Go's pin format).
pub fn public_key_pin(certificate: &X509Certificate<'_>) -> String {
    let digest = Sha256::digest(certificate.public_key().raw);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
