//! Harbor's project permission matrix: which project role may do what on which resource,
//! and what everyone (anonymous callers too) may do on a public project.

use berth_types::Role;

/// A resource inside a project's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectResource {
    /// The project itself.
    Project,
    Accessory,
    Artifact,
    ArtifactAddition,
    ArtifactLabel,
    Configuration,
    ExportCve,
    ImmutableTag,
    Label,
    Log,
    Member,
    Metadata,
    NotificationPolicy,
    PreheatPolicy,
    Quota,
    Repository,
    Robot,
    Sbom,
    Scan,
    Scanner,
    Tag,
    TagRetention,
}

/// An action on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Pull,
    Push,
    Create,
    Read,
    Update,
    Delete,
    List,
    Operate,
    Stop,
}

impl ProjectResource {
    /// Harbor's name of the resource, as robot permissions spell it.
    pub fn name(self) -> &'static str {
        match self {
            R::Project => "project",
            R::Accessory => "accessory",
            R::Artifact => "artifact",
            R::ArtifactAddition => "artifact-addition",
            R::ArtifactLabel => "artifact-label",
            R::Configuration => "configuration",
            R::ExportCve => "export-cve",
            R::ImmutableTag => "immutable-tag",
            R::Label => "label",
            R::Log => "log",
            R::Member => "member",
            R::Metadata => "metadata",
            R::NotificationPolicy => "notification-policy",
            R::PreheatPolicy => "preheat-policy",
            R::Quota => "quota",
            R::Repository => "repository",
            R::Robot => "robot",
            R::Sbom => "sbom",
            R::Scan => "scan",
            R::Scanner => "scanner",
            R::Tag => "tag",
            R::TagRetention => "tag-retention",
        }
    }
}

impl Verb {
    /// Harbor's name of the action.
    pub fn name(self) -> &'static str {
        match self {
            V::Pull => "pull",
            V::Push => "push",
            V::Create => "create",
            V::Read => "read",
            V::Update => "update",
            V::Delete => "delete",
            V::List => "list",
            V::Operate => "operate",
            V::Stop => "stop",
        }
    }
}

/// Who holds a grant: the columns of Harbor's matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    Role(Role),
    /// Everyone, on a public project.
    Public,
}

/// Columns of a row, in the order PA, M, D, G, LG, Pub.
type Columns = [bool; 6];

const fn cols(s: &[u8; 6]) -> Columns {
    [
        s[0] == b'Y',
        s[1] == b'Y',
        s[2] == b'Y',
        s[3] == b'Y',
        s[4] == b'Y',
        s[5] == b'Y',
    ]
}

use ProjectResource as R;
use Verb as V;

/// The matrix, row by row: resource, the actions the row covers, and who holds them.
const MATRIX: &[(ProjectResource, &[Verb], Columns)] = &[
    (R::Project, &[V::Read], cols(b"YYYYYY")),
    (R::Project, &[V::Update, V::Delete], cols(b"Y-----")),
    (R::Accessory, &[V::List], cols(b"YYYYYY")),
    (R::Artifact, &[V::Read, V::List], cols(b"YYYYYY")),
    (R::Artifact, &[V::Create], cols(b"YYY---")),
    (R::Artifact, &[V::Delete], cols(b"YY----")),
    (R::ArtifactAddition, &[V::Read], cols(b"YYYYYY")),
    (R::ArtifactLabel, &[V::Create, V::Delete], cols(b"YYY---")),
    (R::Configuration, &[V::Read], cols(b"YYYYY-")),
    (R::Configuration, &[V::Update], cols(b"Y-----")),
    (
        R::ExportCve,
        &[V::Create, V::Read, V::List],
        cols(b"YYY---"),
    ),
    (
        R::ImmutableTag,
        &[V::List, V::Create, V::Update, V::Delete],
        cols(b"YY----"),
    ),
    (R::Label, &[V::Read, V::List], cols(b"YYYY-Y")),
    (
        R::Label,
        &[V::Create, V::Update, V::Delete],
        cols(b"YY----"),
    ),
    (R::Log, &[V::List], cols(b"Y-----")),
    (R::Member, &[V::Read, V::List], cols(b"YYYY--")),
    (
        R::Member,
        &[V::Create, V::Update, V::Delete],
        cols(b"Y-----"),
    ),
    (R::Metadata, &[V::Read], cols(b"YY----")),
    (
        R::Metadata,
        &[V::Create, V::Update, V::Delete],
        cols(b"Y-----"),
    ),
    (R::NotificationPolicy, &[V::Read, V::List], cols(b"YY----")),
    (
        R::NotificationPolicy,
        &[V::Create, V::Update, V::Delete],
        cols(b"Y-----"),
    ),
    (
        R::PreheatPolicy,
        &[V::Read, V::List, V::Create, V::Update, V::Delete],
        cols(b"Y-----"),
    ),
    (R::Quota, &[V::Read], cols(b"YYYYY-")),
    (R::Repository, &[V::Read], cols(b"YYYYY-")),
    (R::Repository, &[V::List, V::Pull], cols(b"YYYYYY")),
    (
        R::Repository,
        &[V::Create, V::Update, V::Push],
        cols(b"YYY---"),
    ),
    (R::Repository, &[V::Delete], cols(b"YY----")),
    (R::Robot, &[V::Read, V::List], cols(b"YYYY--")),
    (
        R::Robot,
        &[V::Create, V::Update, V::Delete],
        cols(b"Y-----"),
    ),
    (R::Sbom, &[V::Read], cols(b"YYYYY-")),
    (R::Sbom, &[V::Create, V::Stop], cols(b"YY----")),
    (R::Scan, &[V::Read], cols(b"YYYYYY")),
    (R::Scan, &[V::Create, V::Stop], cols(b"YY----")),
    (R::Scanner, &[V::Read], cols(b"YYYYYY")),
    (R::Scanner, &[V::Create], cols(b"Y-----")),
    (R::Tag, &[V::List], cols(b"YYYYYY")),
    (R::Tag, &[V::Create], cols(b"YYY---")),
    (R::Tag, &[V::Delete], cols(b"YY----")),
    (
        R::TagRetention,
        &[
            V::Read,
            V::List,
            V::Create,
            V::Update,
            V::Delete,
            V::Operate,
        ],
        cols(b"YYY---"),
    ),
];

fn column(holder: Holder) -> usize {
    match holder {
        Holder::Role(Role::ProjectAdmin) => 0,
        Holder::Role(Role::Maintainer) => 1,
        Holder::Role(Role::Developer) => 2,
        Holder::Role(Role::Guest) => 3,
        Holder::Role(Role::LimitedGuest) => 4,
        Holder::Public => 5,
    }
}

fn holds(holder: Holder, resource: ProjectResource, verb: Verb) -> bool {
    let col = column(holder);
    MATRIX
        .iter()
        .any(|(r, verbs, columns)| *r == resource && verbs.contains(&verb) && columns[col])
}

/// Every (resource, action) a member with `role` holds, and those everyone holds on a public
/// project when `public`.
pub fn grants(role: Option<Role>, public: bool) -> Vec<(ProjectResource, Verb)> {
    let mut out = Vec::new();
    for (resource, verbs, columns) in MATRIX {
        let held = role.is_some_and(|r| columns[column(Holder::Role(r))])
            || (public && columns[column(Holder::Public)]);
        if held {
            for verb in *verbs {
                if !out.contains(&(*resource, *verb)) {
                    out.push((*resource, *verb));
                }
            }
        }
    }
    out
}

/// Every (resource, action) of the matrix: what a system administrator holds on a project.
pub fn all_grants() -> Vec<(ProjectResource, Verb)> {
    MATRIX
        .iter()
        .flat_map(|(resource, verbs, _)| verbs.iter().map(move |v| (*resource, *v)))
        .collect()
}

/// Whether a member with `role` may do `verb` on `resource` of the project.
pub fn role_allows(role: Role, resource: ProjectResource, verb: Verb) -> bool {
    holds(Holder::Role(role), resource, verb)
}

/// Whether anyone, anonymous callers included, may do `verb` on `resource` of a public project.
pub fn public_allows(resource: ProjectResource, verb: Verb) -> bool {
    holds(Holder::Public, resource, verb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_pull_by_role() {
        for role in [Role::ProjectAdmin, Role::Maintainer, Role::Developer] {
            assert!(role_allows(role, R::Repository, V::Push), "{role:?}");
            assert!(role_allows(role, R::Repository, V::Pull), "{role:?}");
        }
        for role in [Role::Guest, Role::LimitedGuest] {
            assert!(!role_allows(role, R::Repository, V::Push), "{role:?}");
            assert!(role_allows(role, R::Repository, V::Pull), "{role:?}");
        }
        assert!(public_allows(R::Repository, V::Pull));
        assert!(!public_allows(R::Repository, V::Push));
    }

    #[test]
    fn delete_needs_maintainer() {
        assert!(role_allows(Role::Maintainer, R::Repository, V::Delete));
        assert!(!role_allows(Role::Developer, R::Repository, V::Delete));
        assert!(!role_allows(Role::Developer, R::Artifact, V::Delete));
        assert!(!role_allows(Role::Developer, R::Tag, V::Delete));
    }

    #[test]
    fn limited_guest_and_public_gaps() {
        for res in [R::Member, R::Robot, R::Label] {
            assert!(!role_allows(Role::LimitedGuest, res, V::List), "{res:?}");
            assert!(role_allows(Role::Guest, res, V::List), "{res:?}");
        }
        // The public set lists repositories but cannot read one, nor quotas or members.
        assert!(public_allows(R::Repository, V::List));
        for (res, verb) in [
            (R::Repository, V::Read),
            (R::Quota, V::Read),
            (R::Member, V::List),
            (R::Robot, V::List),
        ] {
            assert!(!public_allows(res, verb), "{res:?} {verb:?}");
        }
    }

    #[test]
    fn only_project_admins_manage_members_and_the_project() {
        for role in Role::ALL {
            let admin = role == Role::ProjectAdmin;
            assert_eq!(role_allows(role, R::Member, V::Create), admin);
            assert_eq!(role_allows(role, R::Project, V::Delete), admin);
            assert_eq!(role_allows(role, R::Log, V::List), admin);
            assert!(role_allows(role, R::Project, V::Read));
        }
    }
}
