//! The files `ftpsim serve` offers: the lesson tree, or a real directory (`--root DIR`).
//!
//! A real directory is read into the engine's [`FileTree`] when the server starts (files are
//! shared, not copied, between sessions), and an upload the engine has stored is written back
//! under the root. Confinement is structural: the engine only ever names paths inside its own
//! tree (it resolves `..` at `/` to `/`), the tree only holds what was found under the root, and
//! writing maps a tree path to the root by its plain components, refusing anything else.
//! Symbolic links are not followed at all, so none can lead outside the root: they are not
//! offered, their names are reserved in the tree (an upload onto one is refused with vsftpd's
//! `553 Could not create file.` before any data moves), and writing never goes through one — an
//! upload is written to a new file beside its target (`O_CREAT|O_EXCL`, which does not follow a
//! link) and renamed over it (which replaces a directory entry, never what a link points to),
//! after checking that no directory on the way has become a link since the tree was read.
//!
//! Left out on purpose: watching the directory for changes made by others while the server
//! runs (a new session sees the tree as loaded, plus the uploads made through the server), and
//! directories larger than memory (meant for small teaching trees; the limit is checked).

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ftpsim::ftp::fs::FileTree;

/// The most a `--root` directory may hold in all, in bytes.
pub const MAX_ROOT_BYTES: u64 = 1 << 30;

/// Why a directory cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{root} is not a directory")]
    NotADirectory { root: PathBuf },
    #[error("{root} holds more than {max} bytes; serve a smaller directory")]
    TooBig { root: PathBuf, max: u64 },
}

/// Reads `root` into a tree: every directory and regular file under it, symbolic links and
/// special files left out (and their names reserved). Directories are writable when `writable`.
pub fn load(root: &Path, writable: bool) -> Result<FileTree, RootError> {
    let metadata = fs::symlink_metadata(root).map_err(|source| RootError::Read { path: root.to_owned(), source })?;
    if !metadata.is_dir() {
        return Err(RootError::NotADirectory { root: root.to_owned() });
    }
    let mut tree = FileTree::empty();
    tree.insert_dir("/", writable);
    let mut total = 0;
    let mut pending = vec![(root.to_owned(), "/".to_owned())];
    while let Some((dir, at)) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|source| RootError::Read { path: dir.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| RootError::Read { path: dir.clone(), source })?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue; // not UTF-8: FTP paths here are text
            };
            let path = entry.path();
            let kind = entry.file_type().map_err(|source| RootError::Read { path: path.clone(), source })?;
            let tree_path = if at == "/" { format!("/{name}") } else { format!("{at}/{name}") };
            if kind.is_dir() {
                tree.insert_dir(&tree_path, writable);
                pending.push((path, tree_path));
            } else if kind.is_file() {
                let contents = fs::read(&path).map_err(|source| RootError::Read { path: path.clone(), source })?;
                total += contents.len() as u64;
                if total > MAX_ROOT_BYTES {
                    return Err(RootError::TooBig { root: root.to_owned(), max: MAX_ROOT_BYTES });
                }
                tree.insert_file(&tree_path, contents);
            } else {
                // Symbolic links, sockets, devices: not offered, and not to be uploaded onto.
                tree.reserve(&tree_path);
            }
        }
    }
    Ok(tree)
}

/// Where a tree path lives under `root`: only plain names, no `..`, no root or prefix
/// components; `None` for anything else.
pub fn on_disk(root: &Path, tree_path: &str) -> Option<PathBuf> {
    let relative = Path::new(tree_path.trim_start_matches('/'));
    let mut out = root.to_owned();
    for component in relative.components() {
        match component {
            Component::Normal(name) => out.push(name),
            _ => return None,
        }
    }
    (out != root).then_some(out)
}

/// Why an upload could not be written under the root, in the two kinds a server tells apart:
/// the file could not be created (vsftpd `553 Could not create file.`), or writing it failed
/// (vsftpd `451 Failure writing to local file.`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create it: {0}")]
    Create(io::Error),
    #[error("cannot write it: {0}")]
    Write(io::Error),
}

impl StoreError {
    /// The operating system's words for the cause, without Rust's "(os error N)".
    pub fn reason(&self) -> String {
        let (StoreError::Create(error) | StoreError::Write(error)) = self;
        let text = error.to_string();
        match text.find(" (os error ") {
            Some(at) => text[..at].to_owned(),
            None => text,
        }
    }
}

/// Numbers the temporary files of uploads being written.
static UPLOADS: AtomicU64 = AtomicU64::new(0);

/// Writes an upload the engine stored at `tree_path` into `root`. Nothing is written through a
/// symbolic link: the directories on the way must be real directories, the name must be a
/// regular file or nothing, and the contents go to a new file beside it that is then renamed
/// over it (a link put there meanwhile is replaced, not followed). Blocking: run it off the
/// async runtime.
pub fn store(root: &Path, tree_path: &str, contents: &[u8]) -> Result<(), StoreError> {
    let refused = |why: String| StoreError::Create(io::Error::new(io::ErrorKind::PermissionDenied, why));
    let target = on_disk(root, tree_path)
        .ok_or_else(|| StoreError::Create(io::Error::new(io::ErrorKind::InvalidInput, "not a path under the root")))?;
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(refused("not a file name".to_owned()));
    };
    // Every directory from the root down to the target's own: a real directory, not a link.
    let mut on_the_way = dir;
    loop {
        match fs::symlink_metadata(on_the_way) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => return Err(refused(format!("{} is not a directory", on_the_way.display()))),
            Err(error) => return Err(StoreError::Create(error)),
        }
        if on_the_way == root {
            break;
        }
        match on_the_way.parent() {
            Some(parent) if parent.starts_with(root) => on_the_way = parent,
            _ => break,
        }
    }
    let permissions = match fs::symlink_metadata(&target) {
        Ok(metadata) if metadata.is_file() => Some(metadata.permissions()),
        Ok(_) => return Err(refused("refusing to write onto a symbolic link or a special file".to_owned())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(StoreError::Create(error)),
    };
    let number = UPLOADS.fetch_add(1, Ordering::Relaxed);
    let temporary = dir.join(format!(".{}.ftpsim-upload-{}-{number}", name.to_string_lossy(), std::process::id()));
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(&temporary).map_err(StoreError::Create)?;
    let written = file
        .write_all(contents)
        .and_then(|()| match permissions {
            // An upload over a file keeps that file's permissions, as writing into it would.
            Some(permissions) => file.set_permissions(permissions),
            None => Ok(()),
        })
        .and_then(|()| {
            drop(file);
            fs::rename(&temporary, &target)
        });
    written.map_err(|error| {
        let _ = fs::remove_file(&temporary);
        StoreError::Write(error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ftpsim-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("pub")).expect("scratch dir");
        dir
    }

    #[test]
    fn a_directory_becomes_the_tree_without_its_symbolic_links() {
        let root = scratch("load");
        fs::write(root.join("pub/notes.txt"), b"hello").expect("file");
        std::os::unix::fs::symlink("/etc", root.join("pub/escape")).expect("symlink");
        std::os::unix::fs::symlink("/etc/passwd", root.join("passwd")).expect("symlink");
        let tree = load(&root, false).expect("loads");
        assert_eq!(tree.read("/pub/notes.txt"), Ok(&b"hello"[..]));
        assert!(tree.get("/pub/escape").is_none() && tree.get("/passwd").is_none(), "links are not offered");
        assert!(tree.check_writable("/pub/new.txt").is_err(), "read-only unless --writable");
        let writable = load(&root, true).expect("loads");
        assert!(writable.check_writable("/pub/new.txt").is_ok());
        assert!(writable.check_writable("/passwd").is_err(), "a link's name cannot be uploaded onto");
        assert!(writable.check_writable("/pub/escape").is_err());
        let _ = fs::remove_dir_all(root);
    }

    #[test]
    fn only_plain_names_map_to_the_disk() {
        let root = Path::new("/srv/ftp");
        assert_eq!(on_disk(root, "/pub/a.txt"), Some(PathBuf::from("/srv/ftp/pub/a.txt")));
        assert_eq!(on_disk(root, "/../etc/passwd"), None);
        assert_eq!(on_disk(root, "/pub/../../x"), None);
        assert_eq!(on_disk(root, "/"), None);
    }

    #[test]
    fn an_upload_is_written_under_the_root_and_not_through_a_link() {
        let root = scratch("store");
        store(&root, "/pub/up.txt", b"data").expect("stored");
        assert_eq!(fs::read(root.join("pub/up.txt")).expect("written"), b"data");
        let outside = std::env::temp_dir().join(format!("ftpsim-outside-{}", std::process::id()));
        fs::write(&outside, b"keep").expect("outside file");
        std::os::unix::fs::symlink(&outside, root.join("pub/link.txt")).expect("symlink");
        assert!(matches!(store(&root, "/pub/link.txt", b"overwrite"), Err(StoreError::Create(_))));
        assert_eq!(fs::read(&outside).expect("outside"), b"keep");
        // A directory on the way that became a link (to outside the root) is not written into.
        let elsewhere = std::env::temp_dir().join(format!("ftpsim-elsewhere-{}", std::process::id()));
        let _ = fs::remove_dir_all(&elsewhere);
        fs::create_dir_all(&elsewhere).expect("outside dir");
        std::os::unix::fs::symlink(&elsewhere, root.join("linked")).expect("symlink");
        assert!(matches!(store(&root, "/linked/x.txt", b"escape"), Err(StoreError::Create(_))));
        assert!(!elsewhere.join("x.txt").exists());
        // Over an existing file: replaced, its permissions kept, no temporary file left.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(root.join("pub/up.txt"), fs::Permissions::from_mode(0o640)).expect("chmod");
        store(&root, "/pub/up.txt", b"again").expect("stored");
        assert_eq!(fs::read(root.join("pub/up.txt")).expect("written"), b"again");
        let mode = fs::metadata(root.join("pub/up.txt")).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let names: Vec<_> = fs::read_dir(root.join("pub")).expect("dir").flatten().map(|e| e.file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        // A missing directory: cannot create.
        assert!(matches!(store(&root, "/missing/x.txt", b"x"), Err(StoreError::Create(_))));
        let _ = fs::remove_file(outside);
        let _ = fs::remove_dir_all(elsewhere);
        let _ = fs::remove_dir_all(root);
    }
}
