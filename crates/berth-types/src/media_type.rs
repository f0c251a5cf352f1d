//! Media types the registry gives meaning to. Any other media type is stored as is.

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_FOREIGN_LAYER: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// True for the media types of an index (a list of manifests).
pub fn is_index(mt: &str) -> bool {
    mt == OCI_INDEX || mt == DOCKER_MANIFEST_LIST
}

/// True for the media types of an image manifest (config plus layers).
pub fn is_image_manifest(mt: &str) -> bool {
    mt == OCI_MANIFEST || mt == DOCKER_MANIFEST
}

/// True for layers whose content a registry is not required to hold.
pub fn is_non_distributable(mt: &str) -> bool {
    mt == DOCKER_FOREIGN_LAYER
        || mt.starts_with("application/vnd.oci.image.layer.nondistributable.")
}

/// True when `mt` is a media type by RFC 6838's grammar (`type/subtype`, restricted
/// characters, at most 127 each), so it can be stored and served in a `Content-Type`.
pub fn is_valid(mt: &str) -> bool {
    fn name(s: &str) -> bool {
        let b = s.as_bytes();
        !b.is_empty()
            && b.len() <= 127
            && b[0].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(c))
    }
    mt.split_once('/')
        .is_some_and(|(t, st)| name(t) && name(st))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_grammar() {
        assert!(is_valid(OCI_MANIFEST));
        assert!(is_valid(
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
        ));
        for bad in [
            "",
            "x",
            "a/",
            "/b",
            "a/b/c",
            "x\u{1}y/z",
            "a b/c",
            "a/b;c=d",
        ] {
            assert!(!is_valid(bad), "{bad:?}");
        }
    }
}
