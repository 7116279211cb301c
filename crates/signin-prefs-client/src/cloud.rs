//! National clouds: each pairs a Microsoft Graph host with its login (Entra ID) host.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

use crate::Error;

/// A Microsoft Graph deployment. Tokens from one cloud are not accepted by another, so the Graph
/// host and the login host always go together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Cloud {
    /// The global service (also GCC moderate).
    #[default]
    Global,
    /// US Government L4 (GCC High).
    UsGovL4,
    /// US Government L5 (DoD).
    UsGovL5Dod,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// Every cloud, for iteration.
    pub const ALL: [Cloud; 4] = [
        Cloud::Global,
        Cloud::UsGovL4,
        Cloud::UsGovL5Dod,
        Cloud::China,
    ];

    /// The Graph origin (scheme and host), e.g. `https://graph.microsoft.com`.
    pub fn graph_origin(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGovL4 => "https://graph.microsoft.us",
            Cloud::UsGovL5Dod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The login authority host, e.g. `https://login.microsoftonline.com`.
    pub fn login_authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovL4 | Cloud::UsGovL5Dod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The app-only scope for Graph in this cloud: the `.default` scope must name the cloud's own
    /// Graph host.
    pub fn graph_default_scope(self) -> String {
        format!("{}/.default", self.graph_origin())
    }

    /// The endpoints of this cloud.
    pub fn endpoints(self) -> Endpoints {
        Endpoints {
            graph_origin: self.graph_origin().to_owned(),
            login_authority: self.login_authority().to_owned(),
        }
    }
}

impl Cloud {
    /// The cloud's short name, as [`FromStr`] reads it back: `global`, `usgov`, `usgovdod`, `china`.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGovL4 => "usgov",
            Cloud::UsGovL5Dod => "usgovdod",
            Cloud::China => "china",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cloud {
    type Err = Error;

    /// The one set of spellings every front end accepts: the short names (`global`, `usgov`,
    /// `usgovdod`, `china`), the other names in use (`public`, `AzurePublicCloud`, `usgovl4`,
    /// `gcchigh`, `AzureUSGovernment`, `usgovl5`, `dod`, `AzureChinaCloud`), in any case, with or
    /// without dashes and underscores (`usgov-dod`). Anything else is a configuration error.
    fn from_str(name: &str) -> Result<Self, Error> {
        match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "global" | "public" | "azurepubliccloud" => Ok(Cloud::Global),
            "usgov" | "usgovl4" | "gcchigh" | "azureusgovernment" => Ok(Cloud::UsGovL4),
            "usgovdod" | "usgovl5" | "dod" => Ok(Cloud::UsGovL5Dod),
            "china" | "azurechinacloud" => Ok(Cloud::China),
            _ => Err(Error::configuration(format!(
                "unknown cloud {name:?}: use global, usgov, usgovdod or china"
            ))),
        }
    }
}

/// Where requests go: the Graph origin and the login authority that issues its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Scheme, host and port of Graph, without a trailing `/`.
    pub graph_origin: String,
    /// Scheme, host and port of the token service, without a trailing `/`.
    pub login_authority: String,
}

impl Endpoints {
    /// Explicit endpoints (an emulator, a proxy). Both must be HTTPS, or plain HTTP to a loopback
    /// address.
    pub fn explicit(graph_origin: &str, login_authority: &str) -> Result<Self, Error> {
        Ok(Self {
            graph_origin: checked_origin(graph_origin)?,
            login_authority: checked_origin(login_authority)?,
        })
    }
}

/// The origin of `url`, refusing anything but HTTPS or plain HTTP to loopback. Tokens and secrets
/// travel to these hosts, so a typo must not send them in clear text across a network.
pub(crate) fn checked_origin(url: &str) -> Result<String, Error> {
    let parsed = Url::parse(url)
        .map_err(|cause| Error::configuration(format!("invalid URL {url:?}: {cause}")))?;
    check_transport_security(&parsed)?;
    let path = parsed.path().trim_end_matches('/');
    if !path.is_empty() {
        return Err(Error::configuration(format!(
            "{url:?} has a path ({path}); give only scheme, host and port (the API version comes from the requests)"
        )));
    }
    Ok(parsed.origin().ascii_serialization())
}

/// HTTPS anywhere; plain HTTP only to a loopback address.
pub(crate) fn check_transport_security(url: &Url) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::configuration(format!(
            "refusing plain HTTP to {}: only loopback addresses may use http://",
            url.host_str().unwrap_or("<no host>")
        ))),
        other => Err(Error::configuration(format!(
            "unsupported URL scheme {other:?}; use https://"
        ))),
    }
}

/// Whether `origin` is a loopback address: no proxy can reach it, so none is used.
pub(crate) fn is_loopback_origin(origin: &str) -> bool {
    Url::parse(origin).is_ok_and(|url| is_loopback(&url))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_host_follows_the_cloud() {
        let pairs: Vec<_> = Cloud::ALL
            .iter()
            .map(|cloud| (cloud.graph_origin(), cloud.login_authority()))
            .collect();
        assert_eq!(
            pairs,
            [
                (
                    "https://graph.microsoft.com",
                    "https://login.microsoftonline.com"
                ),
                (
                    "https://graph.microsoft.us",
                    "https://login.microsoftonline.us"
                ),
                (
                    "https://dod-graph.microsoft.us",
                    "https://login.microsoftonline.us"
                ),
                (
                    "https://microsoftgraph.chinacloudapi.cn",
                    "https://login.chinacloudapi.cn"
                ),
            ]
        );
        assert_eq!(
            Cloud::UsGovL5Dod.graph_default_scope(),
            "https://dod-graph.microsoft.us/.default"
        );
    }

    #[test]
    fn every_spelling_either_front_end_accepted_still_parses() {
        for (names, cloud) in [
            (
                &["global", "Global", "public", "AzurePublicCloud"][..],
                Cloud::Global,
            ),
            (
                &["usgov", "usgovl4", "gcchigh", "AzureUSGovernment", "us-gov"],
                Cloud::UsGovL4,
            ),
            (
                &["usgovdod", "usgov-dod", "usgov_dod", "usgovl5", "dod"],
                Cloud::UsGovL5Dod,
            ),
            (&["china", "AzureChinaCloud"], Cloud::China),
        ] {
            for name in names {
                assert_eq!(name.parse::<Cloud>().ok(), Some(cloud), "{name}");
            }
        }
        for cloud in Cloud::ALL {
            assert_eq!(cloud.name().parse::<Cloud>().ok(), Some(cloud));
        }
        let error = "mars".parse::<Cloud>().err().map(|error| error.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "invalid client configuration: unknown cloud \"mars\": use global, usgov, usgovdod or china"
            )
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for allowed in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:1234",
            "http://localhost:3000",
            "https://graph.example.com",
        ] {
            assert!(checked_origin(allowed).is_ok(), "{allowed}");
        }
        for refused in [
            "http://graph.microsoft.com",
            "http://10.0.0.1",
            "http://127.0.0.1.example.com",
            "ftp://127.0.0.1",
            "http://[::2]",
        ] {
            assert!(checked_origin(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn origins_have_no_path() {
        assert_eq!(
            checked_origin("http://127.0.0.1:9/").ok().as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert!(checked_origin("https://graph.microsoft.com/beta").is_err());
    }
}
