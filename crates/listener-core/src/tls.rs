//! `listen.http.tls.*` mapped onto rustls: certificates and (optionally encrypted) keys,
//! client-certificate verification per `verify_mode`, `versions` and `ciphers`.

use meerkat_core::config::{Diagnostics, Section};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme, SupportedCipherSuite,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `verify_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyMode {
    /// The client must present a certificate chaining to a trusted CA (the default).
    Peer,
    /// As `Peer`, but a valid self-signed certificate is accepted too.
    SelfSignedPeer,
    /// No client certificate is asked for.
    None,
}

/// The TLS options of one listener, as read.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    /// TOML path of the `tls` table.
    pub path: String,
    /// Server certificate chain (PEM).
    pub certfile: PathBuf,
    /// Private key (PEM; PKCS#8, PKCS#1, SEC1, or encrypted PKCS#8 with `password`).
    pub keyfile: PathBuf,
    /// Password of an encrypted key.
    pub password: Option<String>,
    /// CAs trusted for client certificates.
    pub cacertfile: Option<PathBuf>,
    /// Client certificate policy.
    pub verify_mode: VerifyMode,
    /// When false, a failed client verification does not end the handshake.
    pub disconnect_on_failure: bool,
    /// Allowed cipher suites (rustls names), `None` = provider defaults.
    pub ciphers: Option<Vec<SupportedCipherSuite>>,
    /// Allowed protocol versions, `None` = TLS 1.2 and 1.3.
    pub versions: Option<Vec<&'static rustls::SupportedProtocolVersion>>,
    /// Certificate revocation lists for client certificates.
    pub crl_files: Vec<PathBuf>,
    /// Use stateless session tickets.
    pub stateless_tickets: bool,
}

/// Why a TLS config could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {option} file {path}: {source}")]
    Read {
        /// Option naming the file.
        option: &'static str,
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A file did not hold what it should.
    #[error("{option} file {path}: {message}")]
    Content {
        /// Option naming the file.
        option: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the combination.
    #[error("{0}")]
    Rustls(String),
}

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// OpenSSL (and IANA) cipher names of the suites rustls offers with the ring provider.
fn cipher_by_name(name: &str) -> Option<SupportedCipherSuite> {
    use rustls::crypto::ring::cipher_suite as cs;
    Some(match name {
        "TLS_AES_256_GCM_SHA384" | "TLS13_AES_256_GCM_SHA384" => cs::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_128_GCM_SHA256" | "TLS13_AES_128_GCM_SHA256" => cs::TLS13_AES_128_GCM_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256" | "TLS13_CHACHA20_POLY1305_SHA256" => {
            cs::TLS13_CHACHA20_POLY1305_SHA256
        }
        "ECDHE-ECDSA-AES256-GCM-SHA384" | "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => {
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        }
        "ECDHE-ECDSA-AES128-GCM-SHA256" | "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => {
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        }
        "ECDHE-ECDSA-CHACHA20-POLY1305" | "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" => {
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        "ECDHE-RSA-AES256-GCM-SHA384" | "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => {
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        }
        "ECDHE-RSA-AES128-GCM-SHA256" | "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => {
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        }
        "ECDHE-RSA-CHACHA20-POLY1305" | "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" => {
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        }
        _ => return None,
    })
}

/// Parses an OpenSSL-style cipher list (`:`, `,` or space separated). Besides suite names,
/// the keywords `DEFAULT`, `ALL` and `HIGH` select every suite rustls offers, and `!NAME`
/// removes one. Anything else is an error naming the supported suites.
pub fn parse_ciphers(list: &str) -> Result<Vec<SupportedCipherSuite>, String> {
    let mut out: Vec<SupportedCipherSuite> = Vec::new();
    let mut unknown = Vec::new();
    for item in list
        .split([':', ',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if let Some(neg) = item.strip_prefix('!').or_else(|| item.strip_prefix('-')) {
            match cipher_by_name(neg) {
                Some(c) => out.retain(|x| x.suite() != c.suite()),
                None if is_openssl_class(neg) => {}
                None => unknown.push(item.to_owned()),
            }
            continue;
        }
        if matches!(item, "DEFAULT" | "ALL" | "HIGH") {
            for c in provider().cipher_suites {
                if !out.iter().any(|x| x.suite() == c.suite()) {
                    out.push(c);
                }
            }
            continue;
        }
        match cipher_by_name(item) {
            Some(c) if !out.iter().any(|x| x.suite() == c.suite()) => out.push(c),
            Some(_) => {}
            None => unknown.push(item.to_owned()),
        }
    }
    if !unknown.is_empty() {
        let mut names: Vec<String> = provider()
            .cipher_suites
            .iter()
            .map(|c| c.suite().as_str().unwrap_or("?").to_owned())
            .collect();
        names.sort();
        return Err(format!(
            "unsupported cipher(s) {}; rustls supports {} (OpenSSL names such as ECDHE-RSA-AES128-GCM-SHA256 are accepted too)",
            unknown.join(", "),
            names.join(", ")
        ));
    }
    if out.is_empty() {
        return Err("the cipher list selects no cipher suite".into());
    }
    Ok(out)
}

/// Exclusion classes common in OpenSSL strings (`!aNULL`, `!MD5`...): rustls never offers
/// those suites, so excluding them is a no-op.
fn is_openssl_class(s: &str) -> bool {
    matches!(
        s,
        "aNULL"
            | "eNULL"
            | "NULL"
            | "MD5"
            | "RC4"
            | "DES"
            | "3DES"
            | "EXP"
            | "EXPORT"
            | "PSK"
            | "SRP"
            | "DSS"
            | "LOW"
            | "MEDIUM"
            | "SHA1"
            | "CAMELLIA"
            | "SEED"
            | "IDEA"
            | "CBC"
    )
}

/// Parses `versions` (`tlsv1.2`, `tlsv1.3`).
pub fn parse_versions(
    items: &[String],
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for v in items {
        match v.to_ascii_lowercase().as_str() {
            "tlsv1.2" => out.push(&rustls::version::TLS12),
            "tlsv1.3" => out.push(&rustls::version::TLS13),
            _ => bad.push(v.clone()),
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "unsupported TLS version(s) {}; rustls supports \"tlsv1.2\" and \"tlsv1.3\" (older versions are insecure)",
            bad.join(", ")
        ));
    }
    if out.is_empty() {
        return Err("must list at least one version".into());
    }
    Ok(out)
}

/// Reads the `tls` table. Files are checked when the config is built.
pub fn read_options(mut s: Section<'_>, diag: &mut Diagnostics) -> Option<TlsOptions> {
    let before = diag.error_count();
    let certfile = s.opt::<String>("certfile", diag);
    let keyfile = s.opt::<String>("keyfile", diag);
    let password = s.opt::<String>("password", diag);
    let cacertfile = s.opt::<String>("cacertfile", diag);
    let verify_mode = match s.opt::<String>("verify_mode", diag).as_deref() {
        None | Some("peer") => VerifyMode::Peer,
        Some("selfsigned_peer") => VerifyMode::SelfSignedPeer,
        Some("none") => VerifyMode::None,
        Some(other) => {
            diag.error(
                s.key_path("verify_mode"),
                format!("expected \"peer\", \"selfsigned_peer\" or \"none\", found \"{other}\""),
            );
            VerifyMode::Peer
        }
    };
    let disconnect_on_failure = s.get_or("disconnect_on_failure", true, diag);
    let ciphers = s
        .opt::<String>("ciphers", diag)
        .and_then(|c| match parse_ciphers(&c) {
            Ok(c) => Some(c),
            Err(e) => {
                diag.error(s.key_path("ciphers"), e);
                None
            }
        });
    let versions = s
        .opt::<Vec<String>>("versions", diag)
        .and_then(|v| match parse_versions(&v) {
            Ok(v) => Some(v),
            Err(e) => {
                diag.error(s.key_path("versions"), e);
                None
            }
        });
    if s.opt::<String>("dhfile", diag).is_some() {
        diag.warn(
            s.key_path("dhfile"),
            "rustls uses only ECDHE key exchange, so DH parameters are not needed; ignored",
        );
    }
    let crl_files: Vec<String> = s.opt("crl_files", diag).unwrap_or_default();
    if s.opt::<bool>("early_data", diag) == Some(true) {
        diag.warn(
            s.key_path("early_data"),
            "0-RTT early data is not enabled for HTTP listeners (replay risk); ignored",
        );
    }
    let stateless_tickets = match s.opt::<String>("session_tickets", diag).as_deref() {
        None => false,
        Some("stateless") => true,
        Some(other) => {
            diag.error(
                s.key_path("session_tickets"),
                format!("expected \"stateless\", found \"{other}\""),
            );
            false
        }
    };
    for xmpp_only in ["mode", "keep_secrets", "server_name_indication"] {
        if s.raw(xmpp_only).is_some() {
            diag.error(
                s.key_path(xmpp_only),
                "option not accepted for HTTP listeners (TLS is always direct)",
            );
        }
    }
    match (&certfile, &keyfile) {
        (Some(_), None) => diag.error(
            s.key_path("keyfile"),
            "certfile is set without keyfile (tls_certfile_without_keyfile)",
        ),
        (None, Some(_)) => diag.error(s.key_path("certfile"), "keyfile is set without certfile"),
        (None, None) => diag.error(
            s.key_path("certfile"),
            "an HTTPS listener needs certfile and keyfile",
        ),
        _ => {}
    }
    let path = s.path().to_owned();
    s.finish(diag);
    if diag.error_count() != before {
        return None;
    }
    Some(TlsOptions {
        path,
        certfile: certfile?.into(),
        keyfile: keyfile?.into(),
        password,
        cacertfile: cacertfile.map(PathBuf::from),
        verify_mode,
        disconnect_on_failure,
        ciphers,
        versions,
        crl_files: crl_files.into_iter().map(PathBuf::from).collect(),
        stateless_tickets,
    })
}

fn read_file(option: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        option,
        path: path.to_owned(),
        source,
    })
}

fn load_certs(option: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_file(option, path)?;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&pem).collect();
    let certs = certs.map_err(|e| TlsError::Content {
        option,
        path: path.to_owned(),
        message: format!("bad PEM: {e}"),
    })?;
    if certs.is_empty() {
        return Err(TlsError::Content {
            option,
            path: path.to_owned(),
            message: "no CERTIFICATE found".into(),
        });
    }
    Ok(certs)
}

/// Loads a private key, decrypting an `ENCRYPTED PRIVATE KEY` (PKCS#8 PBES2) with `password`.
pub fn load_key(path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_file("keyfile", path)?;
    let text = String::from_utf8_lossy(&pem);
    let content = |message: String| TlsError::Content {
        option: "keyfile",
        path: path.to_owned(),
        message,
    };
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(content(
            "legacy OpenSSL-encrypted key (Proc-Type/DEK-Info) is not supported; convert it with \
             `openssl pkcs8 -topk8 -v2 aes256 -in old.pem -out new.pem`"
                .into(),
        ));
    }
    if let Some(block) = pem_block(&text, "ENCRYPTED PRIVATE KEY") {
        let Some(password) = password else {
            return Err(content("the key is encrypted; set tls.password".into()));
        };
        let (_, der) = pkcs8::der::pem::decode_vec(block.as_bytes())
            .map_err(|e| content(format!("bad PEM: {e}")))?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
            .map_err(|e| content(format!("not an encrypted PKCS#8 key: {e}")))?;
        let doc = info.decrypt(password.as_bytes()).map_err(|e| {
            content(format!("cannot decrypt the key (wrong tls.password, or an unsupported scheme: only PBES2 with AES is supported): {e}"))
        })?;
        return Ok(PrivateKeyDer::Pkcs8(doc.as_bytes().to_vec().into()));
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| content(format!("no usable private key: {e}")))
}

fn pem_block<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Builds the rustls server config for a listener.
pub fn build_server_config(o: &TlsOptions) -> Result<rustls::ServerConfig, TlsError> {
    let mut provider = provider();
    if let Some(ciphers) = &o.ciphers {
        provider.cipher_suites.clone_from(ciphers);
    }
    let provider = Arc::new(provider);
    let versions = o
        .versions
        .clone()
        .unwrap_or_else(|| vec![&rustls::version::TLS13, &rustls::version::TLS12]);
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| TlsError::Rustls(format!("versions and ciphers do not fit together: {e}")))?;
    let certs = load_certs("certfile", &o.certfile)?;
    let key = load_key(&o.keyfile, o.password.as_deref())?;
    let builder = match o.verify_mode {
        VerifyMode::None => builder.with_no_client_auth(),
        mode => builder.with_client_cert_verifier(client_verifier(o, mode, provider)?),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        TlsError::Rustls(format!(
            "certificate and key do not match or are unusable: {e}"
        ))
    })?;
    if o.stateless_tickets {
        config.ticketer =
            rustls::crypto::ring::Ticketer::new().map_err(|e| TlsError::Rustls(e.to_string()))?;
    }
    Ok(config)
}

fn client_verifier(
    o: &TlsOptions,
    mode: VerifyMode,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    let ca_path = match &o.cacertfile {
        Some(p) => Some(p.clone()),
        None => SYSTEM_CA_BUNDLES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists()),
    };
    if let Some(path) = &ca_path {
        for cert in load_certs("cacertfile", path)? {
            roots.add(cert).map_err(|e| TlsError::Content {
                option: "cacertfile",
                path: path.clone(),
                message: format!("unusable CA certificate: {e}"),
            })?;
        }
    }
    let mut crls = Vec::new();
    for path in &o.crl_files {
        let pem = read_file("crl_files", path)?;
        for crl in CertificateRevocationListDer::pem_slice_iter(&pem) {
            crls.push(crl.map_err(|e| TlsError::Content {
                option: "crl_files",
                path: path.clone(),
                message: format!("bad CRL: {e}"),
            })?);
        }
    }
    let chain = if roots.is_empty() {
        if mode == VerifyMode::Peer {
            return Err(TlsError::Rustls(
                "verify_mode = \"peer\" needs tls.cacertfile (no system CA bundle was found)"
                    .into(),
            ));
        }
        None
    } else {
        let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .with_crls(crls)
            .allow_unauthenticated()
            .build()
            .map_err(|e| TlsError::Rustls(format!("client certificate verifier: {e}")))?;
        Some(v)
    };
    Ok(Arc::new(ClientVerifier {
        chain,
        allow_self_signed: mode == VerifyMode::SelfSignedPeer,
        mandatory: o.disconnect_on_failure,
        provider,
    }))
}

/// Client-certificate policy: a CA-signed chain, or (for `selfsigned_peer`) a valid
/// self-signed certificate; with `disconnect_on_failure = false` a failure is logged and
/// the handshake goes on.
#[derive(Debug)]
struct ClientVerifier {
    chain: Option<Arc<dyn ClientCertVerifier>>,
    allow_self_signed: bool,
    mandatory: bool,
    provider: Arc<CryptoProvider>,
}

impl ClientVerifier {
    fn self_signed_ok(
        &self,
        end_entity: &CertificateDer<'_>,
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let mut roots = RootCertStore::empty();
        roots.add(end_entity.clone().into_owned()).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        v.verify_client_cert(end_entity, &[], now)
    }
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        match &self.chain {
            Some(c) => c.root_hint_subjects(),
            None => &[],
        }
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let chained = match &self.chain {
            Some(c) => c.verify_client_cert(end_entity, intermediates, now),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        };
        let result = match chained {
            Ok(v) => Ok(v),
            Err(e) if self.allow_self_signed && intermediates.is_empty() => {
                self.self_signed_ok(end_entity, now).map_err(|_| e)
            }
            Err(e) => Err(e),
        };
        match result {
            Err(e) if !self.mandatory => {
                tracing::warn!(error = %e, "client certificate rejected; continuing (disconnect_on_failure = false)");
                Ok(ClientCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_names() {
        let c = parse_ciphers("ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256").unwrap();
        assert_eq!(c.len(), 2);
        let all = parse_ciphers("HIGH:!aNULL:!MD5").unwrap();
        assert_eq!(all.len(), provider().cipher_suites.len());
        let without = parse_ciphers("DEFAULT:!ECDHE-RSA-AES128-GCM-SHA256").unwrap();
        assert_eq!(without.len(), all.len() - 1);
        let err = parse_ciphers("AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256").unwrap_err();
        assert!(
            err.starts_with("unsupported cipher(s) AES128-SHA;"),
            "{err}"
        );
    }

    #[test]
    fn version_names() {
        assert_eq!(parse_versions(&["tlsv1.3".into()]).unwrap().len(), 1);
        let err = parse_versions(&["tlsv1.1".into(), "tlsv1.2".into()]).unwrap_err();
        assert!(
            err.starts_with("unsupported TLS version(s) tlsv1.1;"),
            "{err}"
        );
    }
}
