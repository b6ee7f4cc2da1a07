//! Test certificates made on the fly (feature `test-pki`, for tests only): a CA, a server
//! certificate for `localhost` and 127.0.0.1 signed by it, and client certificates, written
//! as PEM files into a directory the test owns. No private key is ever checked in.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};

/// A client certificate's names.
#[derive(Debug, Clone, Default)]
pub struct ClientNames<'a> {
    pub common_name: &'a str,
    pub organization: Option<&'a str>,
    pub emails: &'a [&'a str],
    pub dns_names: &'a [&'a str],
}

/// A CA and a server certificate, as files in `dir`.
pub struct TestPki {
    dir: PathBuf,
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The CA certificate (PEM).
    pub ca_file: PathBuf,
    /// The server's certificate (PEM), for `localhost` and 127.0.0.1.
    pub cert_file: PathBuf,
    /// The server's private key (PEM).
    pub key_file: PathBuf,
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

impl TestPki {
    /// A fresh CA named `name` and a server certificate, written to `dir/<name>-*.pem`.
    pub fn new(dir: &Path, name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let key = KeyPair::generate().expect("CA key");
        let ca = CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        let ca_file = dir.join(format!("{name}-ca.pem"));
        write(&ca_file, &ca.pem());
        let mut pki = Self {
            dir: dir.to_owned(),
            ca,
            ca_file,
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
        };
        let (cert_file, key_file) = pki.server(&format!("{name}-server"));
        pki.cert_file = cert_file;
        pki.key_file = key_file;
        pki
    }

    /// Another server certificate (for reload tests), as `<stem>.pem` and `<stem>.key`.
    pub fn server(&self, stem: &str) -> (PathBuf, PathBuf) {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let mut params = CertificateParams::new(names).expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        self.sign(stem, params)
    }

    /// A client certificate with `names`, as `<stem>.pem` and `<stem>.key`.
    pub fn client(&self, stem: &str, names: &ClientNames<'_>) -> (PathBuf, PathBuf) {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        if let Some(organization) = names.organization {
            params
                .distinguished_name
                .push(DnType::OrganizationName, organization);
        }
        params
            .distinguished_name
            .push(DnType::CommonName, names.common_name);
        for email in names.emails {
            let email = (*email).try_into().expect("ASCII e-mail");
            params.subject_alt_names.push(SanType::Rfc822Name(email));
        }
        for dns in names.dns_names {
            let dns = (*dns).try_into().expect("ASCII DNS name");
            params.subject_alt_names.push(SanType::DnsName(dns));
        }
        self.sign(stem, params)
    }

    fn sign(&self, stem: &str, params: CertificateParams) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().expect("key");
        let certificate = params
            .signed_by(&key, &self.ca)
            .expect("signed certificate");
        let cert_file = self.dir.join(format!("{stem}.pem"));
        let key_file = self.dir.join(format!("{stem}.key"));
        write(&cert_file, &certificate.pem());
        write(&key_file, &key.serialize_pem());
        (cert_file, key_file)
    }
}

/// The `pinned_certs` entry of the certificate in `cert_file` (PEM).
pub fn pin_of(cert_file: &Path) -> String {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_file(cert_file).expect("PEM certificate");
    let parsed = crate::names::parse(&der).expect("X.509 certificate");
    crate::names::public_key_pin(&parsed)
}
