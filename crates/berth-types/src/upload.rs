use std::fmt;
use std::str::FromStr;

use crate::ParseError;

/// Id of a blob upload session: a random UUID in its hyphenated lowercase form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

impl UploadId {
    pub fn random() -> UploadId {
        UploadId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UploadId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let u = uuid::Uuid::try_parse(s).map_err(|_| ParseError::UploadId)?;
        let canonical = u.hyphenated().to_string();
        if canonical != s {
            return Err(ParseError::UploadId);
        }
        Ok(UploadId(canonical))
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// One stored piece of an upload session's content: `size` bytes of the session from
/// `offset`, kept by the storage backend under `name` (which names the backend chooses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPart {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}
