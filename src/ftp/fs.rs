//! The server's small in-memory file tree.
//!
//! Just enough of a file system for a lesson: a few files to list and fetch, and one writable
//! directory to upload into. Paths are absolute, `/`-separated, and resolved against the
//! session's current directory the way a Unix shell would (`.`, `..`, relative names).
//!
//! Left out on purpose: permissions per user, links, timestamps that change (every entry shows
//! the same fixed date, since the engine never reads a clock), and file sizes beyond a few KiB.

use std::sync::Arc;

use litemap::LiteMap;

use serde::{Deserialize, Serialize};

/// The date every listing line shows.
const LISTING_DATE: &str = "Nov 24 09:00";

/// One entry of the tree. A file's contents are shared, so cloning a tree (a snapshot of the
/// simulated world, a session of `ftpsim serve`) copies no file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Node {
    Directory { writable: bool },
    File { contents: Arc<[u8]> },
}

/// Why a file operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    #[error("no such file or directory: {path}")]
    NotFound { path: String },
    #[error("not a directory: {path}")]
    NotADirectory { path: String },
    #[error("not a file: {path}")]
    NotAFile { path: String },
    #[error("directory {dir} is not writable")]
    NotWritable { dir: String },
    #[error("bad file name \"{name}\"")]
    BadName { name: String },
}

/// The file tree: absolute path → entry, in path order (so listings are sorted and stable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileTree {
    nodes: LiteMap<String, Node>,
    /// Names taken where the tree came from but not offered (see [`FileTree::reserve`]).
    reserved: LiteMap<String, ()>,
}

impl Default for FileTree {
    /// The lesson tree: `/pub` with two files to download, `/upload` to upload into.
    fn default() -> Self {
        let mut tree = FileTree::empty();
        tree.insert_dir("/pub", false);
        tree.insert_dir("/upload", true);
        tree.insert_file(
            "/pub/readme.txt",
            b"Welcome to the ftpsim demo server.\r\n\
              Every file you see here travelled over a data connection,\r\n\
              while your commands went over the control connection.\r\n"
                .to_vec(),
        );
        tree.insert_file("/pub/lesson-notes.txt", lesson_notes());
        tree
    }
}

/// A text file long enough to need two TCP segments, so a download shows more than one packet.
fn lesson_notes() -> Vec<u8> {
    let mut text = String::new();
    for line in 1..=40 {
        text.push_str(&format!(
            "Note {line:02}: the control connection stays open; each transfer gets a new data connection.\r\n"
        ));
    }
    text.into_bytes()
}

impl FileTree {
    /// A tree holding only the root directory.
    pub fn empty() -> Self {
        let mut nodes = LiteMap::new();
        nodes.insert("/".to_owned(), Node::Directory { writable: false });
        FileTree { nodes, reserved: LiteMap::new() }
    }

    /// Marks a name that exists where the tree was read from but is not offered (`ftpsim serve
    /// --root`: a symbolic link or a special file on disk). It stays out of listings and
    /// downloads as before, and [`FileTree::check_writable`] refuses it, so that an upload never
    /// lands on it.
    pub fn reserve(&mut self, path: &str) {
        self.nodes.remove(path);
        self.reserved.insert(path.to_owned(), ());
    }

    /// Adds (or replaces) a directory.
    pub fn insert_dir(&mut self, path: &str, writable: bool) {
        self.nodes.insert(path.to_owned(), Node::Directory { writable });
    }

    /// Adds (or replaces) a file.
    pub fn insert_file(&mut self, path: &str, contents: impl Into<Arc<[u8]>>) {
        self.nodes.insert(path.to_owned(), Node::File { contents: contents.into() });
    }

    /// Resolves `arg` against the current directory `cwd` into a normalised absolute path.
    pub fn resolve(cwd: &str, arg: &str) -> String {
        let mut parts: Vec<&str> = if arg.starts_with('/') { Vec::new() } else { cwd.split('/').collect() };
        for part in arg.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                name => parts.push(name),
            }
        }
        let joined: Vec<&str> = parts.into_iter().filter(|part| !part.is_empty()).collect();
        format!("/{}", joined.join("/"))
    }

    /// The entry at an absolute path.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// True when `path` names a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.nodes.get(path), Some(Node::Directory { .. }))
    }

    /// The contents of the file at `path`.
    pub fn read(&self, path: &str) -> Result<&[u8], FsError> {
        match self.nodes.get(path) {
            Some(Node::File { contents }) => Ok(contents),
            Some(Node::Directory { .. }) => Err(FsError::NotAFile { path: path.to_owned() }),
            None => Err(FsError::NotFound { path: path.to_owned() }),
        }
    }

    /// The contents of the file at `path`, shared rather than copied (to keep it elsewhere).
    pub fn shared(&self, path: &str) -> Option<Arc<[u8]>> {
        match self.nodes.get(path) {
            Some(Node::File { contents }) => Some(Arc::clone(contents)),
            _ => None,
        }
    }

    /// Checks that a file may be written at `path` (its directory exists and is writable).
    pub fn check_writable(&self, path: &str) -> Result<(), FsError> {
        let (dir, name) = split_parent(path);
        if name.is_empty() || name == "." || name == ".." {
            return Err(FsError::BadName { name: name.to_owned() });
        }
        match self.nodes.get(dir) {
            Some(Node::Directory { writable: true }) => {}
            Some(Node::Directory { writable: false }) => {
                return Err(FsError::NotWritable { dir: dir.to_owned() });
            }
            Some(Node::File { .. }) => {
                return Err(FsError::NotADirectory { path: dir.to_owned() });
            }
            None => {
                return Err(FsError::NotFound { path: dir.to_owned() });
            }
        }
        if self.is_dir(path) || self.reserved.contains_key(path) {
            return Err(FsError::NotAFile { path: path.to_owned() });
        }
        Ok(())
    }

    /// Writes a file after [`FileTree::check_writable`] allowed it.
    pub fn write(&mut self, path: &str, contents: Vec<u8>) -> Result<(), FsError> {
        self.check_writable(path)?;
        self.insert_file(path, contents);
        Ok(())
    }

    /// The direct children of a directory, in name order.
    fn children<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a Node)> + 'a {
        self.nodes.iter().filter_map(move |(path, node)| {
            let (parent, name) = split_parent(path);
            (parent == dir && !name.is_empty()).then_some((name, node))
        })
    }

    /// `LIST` output for a directory (or a single file), one `ls -l` style line each, CRLF ended,
    /// formatted like vsftpd.
    pub fn list_long(&self, path: &str) -> Result<String, FsError> {
        let line = |name: &str, node: &Node| -> String {
            let (mode, links, size) = match node {
                Node::Directory { writable: true } => ("drwxrwxrwx", 2, 4096),
                Node::Directory { writable: false } => ("drwxr-xr-x", 2, 4096),
                Node::File { contents } => ("-rw-r--r--", 1, contents.len()),
            };
            format!("{mode} {links:>4} {:<8} {:<8} {size:>8} {LISTING_DATE} {name}\r\n", "ftp", "ftp")
        };
        match self.nodes.get(path) {
            Some(Node::Directory { .. }) => Ok(self.children(path).map(|(name, node)| line(name, node)).collect()),
            Some(file) => Ok(line(split_parent(path).1, file)),
            None => Err(FsError::NotFound { path: path.to_owned() }),
        }
    }

    /// `NLST` output: names only, CRLF ended.
    pub fn list_names(&self, path: &str) -> Result<String, FsError> {
        match self.nodes.get(path) {
            Some(Node::Directory { .. }) => Ok(self.children(path).map(|(name, _)| format!("{name}\r\n")).collect()),
            Some(Node::File { .. }) => Ok(format!("{}\r\n", split_parent(path).1)),
            None => Err(FsError::NotFound { path: path.to_owned() }),
        }
    }
}

/// Splits `/a/b/c` into (`/a/b`, `c`); the root splits into (`/`, ``).
fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(index) => (&path[..index], &path[index + 1..]),
        None => ("/", path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_like_a_shell() {
        assert_eq!(FileTree::resolve("/", "pub"), "/pub");
        assert_eq!(FileTree::resolve("/pub", "../upload/x.txt"), "/upload/x.txt");
        assert_eq!(FileTree::resolve("/pub", "/"), "/");
        assert_eq!(FileTree::resolve("/pub", "./readme.txt"), "/pub/readme.txt");
        assert_eq!(FileTree::resolve("/", "../../.."), "/");
    }

    #[test]
    fn listing_looks_like_vsftpd() {
        let tree = FileTree::default();
        let listing = tree.list_long("/").expect("root");
        assert_eq!(
            listing,
            "drwxr-xr-x    2 ftp      ftp          4096 Nov 24 09:00 pub\r\n\
             drwxrwxrwx    2 ftp      ftp          4096 Nov 24 09:00 upload\r\n"
        );
        assert_eq!(tree.list_names("/pub").expect("pub"), "lesson-notes.txt\r\nreadme.txt\r\n");
        assert!(tree.list_long("/missing").is_err());
    }

    #[test]
    fn uploads_only_go_into_writable_directories() {
        let mut tree = FileTree::default();
        assert_eq!(tree.write("/upload/a.txt", b"hi".to_vec()), Ok(()));
        assert_eq!(tree.read("/upload/a.txt"), Ok(&b"hi"[..]));
        assert_eq!(tree.write("/pub/a.txt", vec![]), Err(FsError::NotWritable { dir: "/pub".into() }));
        assert_eq!(tree.write("/nowhere/a.txt", vec![]), Err(FsError::NotFound { path: "/nowhere".into() }));
        assert_eq!(
            tree.write("/upload", vec![]),
            Err(FsError::BadName { name: "upload".into() }).or(tree.check_writable("/upload"))
        );
    }

    #[test]
    fn a_reserved_name_is_not_offered_and_not_writable() {
        let mut tree = FileTree::default();
        tree.reserve("/upload/link.txt");
        assert!(tree.get("/upload/link.txt").is_none());
        assert_eq!(tree.check_writable("/upload/link.txt"), Err(FsError::NotAFile { path: "/upload/link.txt".into() }));
        assert_eq!(
            tree.write("/upload/link.txt", b"x".to_vec()),
            Err(FsError::NotAFile { path: "/upload/link.txt".into() })
        );
        assert_eq!(tree.check_writable("/upload/other.txt"), Ok(()));
        assert!(!tree.list_names("/upload").expect("dir").contains("link.txt"));
    }

    #[test]
    fn reading_a_directory_is_an_error() {
        let tree = FileTree::default();
        assert_eq!(tree.read("/pub"), Err(FsError::NotAFile { path: "/pub".into() }));
        assert!(tree.read("/pub/lesson-notes.txt").expect("file").len() > 1460);
    }
}
