use std::fmt;
use std::str::FromStr;

use crate::ParseError;

/// A digest algorithm the registry can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Sha512];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the lowercase hex encoding of a digest of this algorithm.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

impl FromStr for Algorithm {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            other => Err(ParseError::Algorithm(other.to_owned())),
        }
    }
}

/// A content digest such as `sha256:<64 hex>`: the algorithm and the lowercase hex encoding.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// Builds a digest from raw hash output.
    pub fn from_raw(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        Digest {
            algorithm,
            hex: hex::encode(bytes),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Digest of a byte slice held in memory (manifests).
    pub fn of(algorithm: Algorithm, data: &[u8]) -> Digest {
        let mut hasher = crate::DigestHasher::new(algorithm);
        hasher.update(data);
        hasher.finish()
    }

    /// True when the string has the general `algorithm:encoded` shape of the spec's
    /// digest grammar, even if the algorithm is one this registry does not implement.
    pub fn is_well_formed(s: &str) -> bool {
        let Some((alg, enc)) = s.split_once(':') else {
            return false;
        };
        let alg_ok = !alg.is_empty()
            && alg.split(['+', '.', '_', '-']).all(|c| {
                !c.is_empty()
                    && c.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        let enc_ok = !enc.is_empty()
            && enc
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'=' || b == b'_' || b == b'-');
        alg_ok && enc_ok
    }
}

impl FromStr for Digest {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| ParseError::Digest(s.to_owned()))?;
        let algorithm: Algorithm = alg.parse().map_err(|_| {
            if Digest::is_well_formed(s) {
                ParseError::Algorithm(alg.to_owned())
            } else {
                ParseError::Digest(s.to_owned())
            }
        })?;
        let valid = hex.len() == algorithm.hex_len()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(ParseError::Digest(s.to_owned()));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sha256_and_sha512() {
        let d: Digest = format!("sha256:{}", "a".repeat(64)).parse().expect("valid");
        assert_eq!(d.algorithm(), Algorithm::Sha256);
        let d: Digest = format!("sha512:{}", "0".repeat(128))
            .parse()
            .expect("valid");
        assert_eq!(d.algorithm(), Algorithm::Sha512);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "sha256",
            "sha256:",
            "sha256:abc",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("sha256:{}", "g".repeat(64)),
            &format!("sha512:{}", "a".repeat(64)),
            "../../etc/passwd",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn unknown_algorithm_is_reported_as_such() {
        let e = format!("md5:{}", "a".repeat(32))
            .parse::<Digest>()
            .expect_err("md5 is not supported");
        assert!(matches!(e, ParseError::Algorithm(_)));
    }

    #[test]
    fn digest_of_empty_input() {
        assert_eq!(
            Digest::of(Algorithm::Sha256, b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
