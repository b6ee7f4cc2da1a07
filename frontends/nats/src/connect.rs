//! The CONNECT options a client sends, read with the Go server's defaults.

use serde::Deserialize;

/// CONNECT JSON. Absent or `null` fields keep the Go defaults (`verbose`, `pedantic` and
/// `echo` are true until the client says otherwise).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectOptions {
    pub verbose: Option<bool>,
    pub pedantic: Option<bool>,
    pub echo: Option<bool>,
    pub headers: Option<bool>,
    pub no_responders: Option<bool>,
    pub protocol: Option<i64>,
    pub name: Option<String>,
    pub lang: Option<String>,
    pub version: Option<String>,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
    pub nkey: Option<String>,
    pub sig: Option<String>,
}

/// The per-connection protocol switches, as CONNECT set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientFlags {
    pub verbose: bool,
    pub pedantic: bool,
    pub echo: bool,
    pub headers: bool,
    pub no_responders: bool,
}

impl Default for ClientFlags {
    /// The Go server's defaults before any CONNECT.
    fn default() -> Self {
        Self {
            verbose: true,
            pedantic: true,
            echo: true,
            headers: false,
            no_responders: false,
        }
    }
}

/// Highest client protocol version the server speaks (`ClientProtoInfo`).
pub const CLIENT_PROTOCOL_MAX: i64 = 1;

impl ConnectOptions {
    /// Parses the JSON of a CONNECT line. Field names match case-insensitively, as Go's
    /// `encoding/json` matches them (`"Verbose"` sets `verbose`).
    pub fn parse(json: &[u8]) -> crate::Result<Self> {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(json)?;
        let object = if object
            .keys()
            .any(|key| key.bytes().any(|b| b.is_ascii_uppercase()))
        {
            object
                .into_iter()
                .map(|(key, value)| (key.to_ascii_lowercase(), value))
                .collect()
        } else {
            object
        };
        Ok(serde_json::from_value(serde_json::Value::Object(object))?)
    }

    /// The switches this CONNECT sets, starting from `current`.
    pub fn flags(&self, current: ClientFlags) -> ClientFlags {
        ClientFlags {
            verbose: self.verbose.unwrap_or(current.verbose),
            pedantic: self.pedantic.unwrap_or(current.pedantic),
            echo: self.echo.unwrap_or(current.echo),
            headers: self.headers.unwrap_or(current.headers),
            no_responders: self.no_responders.unwrap_or(current.no_responders),
        }
    }

    /// The credentials for the authenticator, borrowed from this CONNECT.
    pub fn credentials(&self) -> natrium_auth::Credentials<'_> {
        natrium_auth::Credentials {
            user: self.user.as_deref(),
            pass: self.pass.as_deref(),
            auth_token: self.auth_token.as_deref(),
            nkey: self.nkey.as_deref(),
            sig: self.sig.as_deref(),
            certificate: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_nulls_and_case_insensitive_names() {
        let connect =
            ConnectOptions::parse(br#"{"Verbose":false,"ECHO":false,"name":null}"#).unwrap();
        let flags = connect.flags(ClientFlags::default());
        assert!(!flags.verbose && !flags.echo && flags.pedantic && !flags.headers);
        assert_eq!(connect.name, None);
        let connect = ConnectOptions::parse(br#"{"user":"a","pass":"b","lang":"go"}"#).unwrap();
        let credentials = connect.credentials();
        assert_eq!((credentials.user, credentials.pass), (Some("a"), Some("b")));
        assert!(ConnectOptions::parse(b"xx").is_err());
        assert!(ConnectOptions::parse(br#"{"verbose":"yes"}"#).is_err());
    }
}
