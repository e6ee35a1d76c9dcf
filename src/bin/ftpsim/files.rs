//! The files `ftpsim serve` offers: the lesson tree, or a real directory (`--root DIR`).
//!
//! A real directory is read into the engine's [`FileTree`] when the server starts (files are
//! shared, not copied, between sessions), and an upload the engine has stored is written back
//! under the root. Confinement is structural: the engine only ever names paths inside its own
//! tree (it resolves `..` at `/` to `/`), the tree only holds what was found under the root, and
//! writing maps a tree path to the root by its plain components, refusing anything else.
//! Symbolic links are not followed at all, so none can lead outside the root.
//!
//! Left out on purpose: watching the directory for changes made by others while the server
//! runs (a new session sees the tree as loaded, plus the uploads made through the server), and
//! directories larger than memory (meant for small teaching trees; the limit is checked).

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

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
/// special files left out. Directories are writable when `writable`.
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
            }
            // Symbolic links, sockets, devices: not offered.
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

/// Writes an upload the engine stored at `tree_path` into `root`, refusing to follow a
/// symbolic link that may have appeared there since.
pub fn store(root: &Path, tree_path: &str, contents: &[u8]) -> io::Result<()> {
    let target = on_disk(root, tree_path).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("not a path under the root: {tree_path}"))
    })?;
    if fs::symlink_metadata(&target).is_ok_and(|metadata| metadata.file_type().is_symlink()) {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "refusing to write through a symbolic link"));
    }
    fs::write(target, contents)
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
        assert!(load(&root, true).expect("loads").check_writable("/pub/new.txt").is_ok());
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
        assert!(store(&root, "/pub/link.txt", b"overwrite").is_err());
        assert_eq!(fs::read(&outside).expect("outside"), b"keep");
        let _ = fs::remove_file(outside);
        let _ = fs::remove_dir_all(root);
    }
}
