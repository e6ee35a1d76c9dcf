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

use super::shared_list::SharedList;

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

/// The file tree: the entries it was built with, and the files uploaded since.
///
/// A timeline keeps a snapshot of the world every few dozen steps, and a session of many
/// uploads would make each snapshot copy every file uploaded so far if the tree were one map.
/// So a clone costs two pointers: the entries the tree was built with (the lesson files, or
/// `ftpsim serve --root`) are shared behind an `Arc`, and uploads are a list that clones share,
/// newest first, each pointing at the one before. An upload adds one entry and copies nothing.
///
/// The list only ever holds files written by [`FileTree::write`], each into a directory that is
/// writable in `built`: uploads never create directories, and the calls that change `built`
/// ([`FileTree::insert_dir`], [`FileTree::insert_file`], [`FileTree::reserve`]) first move the
/// uploads into it. Lookups rely on that to skip the list for directories and for paths outside
/// writable directories.
#[derive(Clone)]
pub struct FileTree {
    built: Arc<Built>,
    uploads: SharedList<Upload>,
}

/// The entries a tree was built with: absolute path → entry, in path order (so listings are
/// sorted and stable).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Built {
    nodes: LiteMap<String, Node>,
    /// Names taken where the tree came from but not offered (see [`FileTree::reserve`]).
    reserved: LiteMap<String, ()>,
}

/// An uploaded file; in the tree's list of uploads, newest first, a later upload of a path hides
/// the earlier ones.
struct Upload {
    path: String,
    /// Always a [`Node::File`], kept as a node so that lookups can lend it like a built entry.
    node: Node,
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

impl SharedList<Upload> {
    /// The newest upload of `path`.
    fn find(&self, path: &str) -> Option<&Node> {
        self.iter().find(|upload| upload.path == path).map(|upload| &upload.node)
    }

    /// Adds an upload. An earlier upload of the same path is unlinked from the part of the list
    /// no clone shares, so that a session that is never cloned (one of `ftpsim serve`) keeps one
    /// copy of a file it uploads again and again, as a map would; entries a snapshot shares stay.
    fn upload(&mut self, path: &str, node: Node) {
        self.remove_unshared(|upload| upload.path == path);
        self.push(Upload { path: path.to_owned(), node });
    }
}

impl FileTree {
    /// A tree holding only the root directory.
    pub fn empty() -> Self {
        let mut nodes = LiteMap::new();
        nodes.insert("/".to_owned(), Node::Directory { writable: false });
        FileTree { built: Arc::new(Built { nodes, reserved: LiteMap::new() }), uploads: SharedList::default() }
    }

    /// The built entries, to change: the uploads are moved into them first (so that the list
    /// keeps holding only files in writable directories, see [`FileTree`]), and they are copied
    /// if a clone shares them (then replaced by the merged entries when there were uploads: one
    /// path for both cases is less code in the page). Building a tree and `ftpsim serve`'s shared
    /// tree come here, never a simulated session's uploads, so the copy is rare.
    fn built_mut(&mut self) -> &mut Built {
        let merged = (!self.uploads.is_empty()).then(|| self.merged(None));
        self.uploads = SharedList::default();
        let built = Arc::make_mut(&mut self.built);
        if let Some(nodes) = merged {
            built.nodes = nodes;
        }
        built
    }

    /// Marks a name that exists where the tree was read from but is not offered (`ftpsim serve
    /// --root`: a symbolic link or a special file on disk). It stays out of listings and
    /// downloads as before, and [`FileTree::check_writable`] refuses it, so that an upload never
    /// lands on it.
    pub fn reserve(&mut self, path: &str) {
        let built = self.built_mut();
        built.nodes.remove(path);
        built.reserved.insert(path.to_owned(), ());
    }

    /// Adds (or replaces) a directory.
    pub fn insert_dir(&mut self, path: &str, writable: bool) {
        self.built_mut().nodes.insert(path.to_owned(), Node::Directory { writable });
    }

    /// Adds (or replaces) a file. Unlike [`FileTree::write`], this changes what the tree was
    /// built with: `ftpsim serve` keeps its sessions' uploads this way in the tree all sessions
    /// start from, where a file uploaded again must replace the old one rather than hide it.
    pub fn insert_file(&mut self, path: &str, contents: impl Into<Arc<[u8]>>) {
        self.built_mut().nodes.insert(path.to_owned(), Node::File { contents: contents.into() });
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

    /// True when uploads can go into `dir`, hence when the list may hold its files.
    fn takes_uploads(&self, dir: &str) -> bool {
        matches!(self.built.nodes.get(dir), Some(Node::Directory { writable: true }))
    }

    /// The entry at an absolute path.
    pub fn get(&self, path: &str) -> Option<&Node> {
        let built = self.built.nodes.get(path);
        // The list holds no directory and nothing outside a writable one: no need to walk it.
        if matches!(built, Some(Node::Directory { .. })) || !self.takes_uploads(split_parent(path).0) {
            return built;
        }
        self.uploads.find(path).or(built)
    }

    /// True when `path` names a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        // Uploads are files: only the built entries hold directories (and every STOR asks this
        // of a new name, which the list would have to be walked to the end for).
        matches!(self.built.nodes.get(path), Some(Node::Directory { .. }))
    }

    /// The contents of the file at `path`.
    pub fn read(&self, path: &str) -> Result<&[u8], FsError> {
        match self.get(path) {
            Some(Node::File { contents }) => Ok(contents),
            Some(Node::Directory { .. }) => Err(FsError::NotAFile { path: path.to_owned() }),
            None => Err(FsError::NotFound { path: path.to_owned() }),
        }
    }

    /// The contents of the file at `path`, shared rather than copied (to keep it elsewhere).
    pub fn shared(&self, path: &str) -> Option<Arc<[u8]>> {
        match self.get(path) {
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
        match self.get(dir) {
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
        if self.is_dir(path) || self.built.reserved.contains_key(path) {
            return Err(FsError::NotAFile { path: path.to_owned() });
        }
        Ok(())
    }

    /// Writes a file after [`FileTree::check_writable`] allowed it.
    pub fn write(&mut self, path: &str, contents: Vec<u8>) -> Result<(), FsError> {
        self.check_writable(path)?;
        self.uploads.upload(path, Node::File { contents: contents.into() });
        Ok(())
    }

    /// The entries as lookups see them, uploads in place of the built files of the same path:
    /// all of them by path, or with `Some(dir)` the direct children of `dir` by name. In name
    /// order either way, so listings are sorted and stable. One function for both, and maps of
    /// the type the tree already uses, since every instance of the map's code costs the page.
    fn merged(&self, dir: Option<&str>) -> LiteMap<String, Node> {
        let key = |path: &'_ str| -> Option<String> {
            let Some(dir) = dir else { return Some(path.to_owned()) };
            let (parent, name) = split_parent(path);
            (parent == dir && !name.is_empty()).then(|| name.to_owned())
        };
        let mut merged = LiteMap::new();
        // The list cannot hold children of a directory that takes no uploads.
        let walk = dir.is_none_or(|dir| self.takes_uploads(dir));
        let uploads = self.uploads.iter().take_while(|_| walk);
        // Newest first, then the built entries: the first entry of a key is the one that counts.
        let entries = uploads.map(|upload| (&upload.path, &upload.node)).chain(self.built.nodes.iter());
        for (path, node) in entries {
            if let Some(key) = key(path)
                && merged.get(key.as_str()).is_none()
            {
                merged.insert(key, node.clone());
            }
        }
        merged
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
        match self.get(path) {
            Some(Node::Directory { .. }) => {
                Ok(self.merged(Some(path)).iter().map(|(name, node)| line(name, node)).collect())
            }
            Some(file) => Ok(line(split_parent(path).1, file)),
            None => Err(FsError::NotFound { path: path.to_owned() }),
        }
    }

    /// `NLST` output: names only, CRLF ended.
    pub fn list_names(&self, path: &str) -> Result<String, FsError> {
        match self.get(path) {
            Some(Node::Directory { .. }) => {
                Ok(self.merged(Some(path)).keys().map(|name| format!("{name}\r\n")).collect())
            }
            Some(Node::File { .. }) => Ok(format!("{}\r\n", split_parent(path).1)),
            None => Err(FsError::NotFound { path: path.to_owned() }),
        }
    }
}

impl PartialEq for FileTree {
    /// Equal when every lookup gives the same answer, however the uploads are shared: a world
    /// replayed from a snapshot equals the one that played straight through.
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.built, &other.built) && self.uploads.same_as(&other.uploads) {
            return true;
        }
        self.built.reserved == other.built.reserved && self.merged(None) == other.merged(None)
    }
}

impl Eq for FileTree {}

impl std::fmt::Debug for FileTree {
    /// The entries as lookups see them (a derived `Debug` would recurse once per upload).
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FileTree")
            .field("nodes", &self.merged(None))
            .field("reserved", &self.built.reserved)
            .finish()
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
    fn an_upload_replaces_the_file_of_the_same_path_everywhere() {
        let mut tree = FileTree::default();
        tree.write("/upload/b.txt", b"first".to_vec()).expect("writable");
        tree.write("/upload/a.txt", b"a".to_vec()).expect("writable");
        let snapshot = tree.clone();
        tree.write("/upload/b.txt", b"second!".to_vec()).expect("writable");
        assert_eq!(tree.read("/upload/b.txt"), Ok(&b"second!"[..]));
        assert_eq!(tree.shared("/upload/b.txt").as_deref(), Some(&b"second!"[..]));
        assert_eq!(tree.list_names("/upload").expect("dir"), "a.txt\r\nb.txt\r\n");
        assert_eq!(
            tree.list_long("/upload").expect("dir"),
            "-rw-r--r--    1 ftp      ftp             1 Nov 24 09:00 a.txt\r\n\
             -rw-r--r--    1 ftp      ftp             7 Nov 24 09:00 b.txt\r\n"
        );
        assert_eq!(
            tree.list_long("/upload/b.txt").expect("file"),
            "-rw-r--r--    1 ftp      ftp             7 Nov 24 09:00 b.txt\r\n"
        );
        assert_eq!(tree.list_names("/upload/a.txt").expect("file"), "a.txt\r\n");
        // The clone taken before keeps what it saw.
        assert_eq!(snapshot.read("/upload/b.txt"), Ok(&b"first"[..]));
        assert_ne!(snapshot, tree);
        // Uploads into a directory of the built tree show among its own entries, in name order.
        let mut served = FileTree::empty();
        served.insert_dir("/in", true);
        served.insert_file("/in/m.txt", b"built".to_vec());
        served.insert_file("/in/z.txt", b"built".to_vec());
        served.write("/in/m.txt", b"uploaded".to_vec()).expect("writable");
        served.write("/in/a.txt", b"uploaded".to_vec()).expect("writable");
        assert_eq!(served.list_names("/in").expect("dir"), "a.txt\r\nm.txt\r\nz.txt\r\n");
        assert_eq!(served.read("/in/m.txt"), Ok(&b"uploaded"[..]));
        assert_eq!(served.list_names("/").expect("root"), "in\r\n");
    }

    #[test]
    fn trees_are_equal_when_every_lookup_is() {
        let mut straight = FileTree::default();
        let mut shared = FileTree::default();
        let mut snapshots = Vec::new();
        for (path, contents) in [("/upload/a", "1"), ("/upload/b", "2"), ("/upload/a", "3")] {
            straight.write(path, contents.as_bytes().to_vec()).expect("writable");
            shared.write(path, contents.as_bytes().to_vec()).expect("writable");
            // Shared entries are kept, so the two lists differ; what they hold does not.
            snapshots.push(shared.clone());
        }
        assert_eq!(straight, shared);
        assert_eq!(format!("{straight:?}"), format!("{shared:?}"));
        let mut built = FileTree::default();
        built.insert_file("/upload/a", b"3".to_vec());
        built.insert_file("/upload/b", b"2".to_vec());
        assert_eq!(built, shared);
        built.reserve("/upload/c");
        assert_ne!(built, shared);
    }

    #[test]
    fn changing_the_built_tree_keeps_the_uploads() {
        let mut tree = FileTree::default();
        tree.write("/upload/a.txt", b"old".to_vec()).expect("writable");
        tree.write("/upload/a.txt", b"new".to_vec()).expect("writable");
        tree.write("/upload/b.txt", b"b".to_vec()).expect("writable");
        let before = tree.clone();
        tree.insert_dir("/upload", false);
        assert_eq!(tree.read("/upload/a.txt"), Ok(&b"new"[..]));
        assert_eq!(tree.list_names("/upload").expect("dir"), "a.txt\r\nb.txt\r\n");
        assert_eq!(tree.write("/upload/c.txt", vec![]), Err(FsError::NotWritable { dir: "/upload".into() }));
        tree.insert_file("/upload/b.txt", b"replaced".to_vec());
        assert_eq!(tree.read("/upload/b.txt"), Ok(&b"replaced"[..]));
        tree.reserve("/upload/a.txt");
        assert!(tree.get("/upload/a.txt").is_none());
        // The clone shared the built entries and is left as it was.
        assert_eq!(before.read("/upload/a.txt"), Ok(&b"new"[..]));
        assert_eq!(before.check_writable("/upload/c.txt"), Ok(()));
    }

    #[test]
    fn a_tree_nobody_shares_keeps_one_copy_of_each_path() {
        let mut tree = FileTree::default();
        for round in 0..3u8 {
            tree.write("/upload/same.txt", vec![round]).expect("writable");
        }
        assert_eq!(tree.uploads.iter().count(), 1);
        let snapshot = tree.clone();
        tree.write("/upload/same.txt", vec![9]).expect("writable");
        tree.write("/upload/same.txt", vec![10]).expect("writable");
        // The snapshot's entry stays for the snapshot; the unshared one is replaced.
        assert_eq!(tree.uploads.iter().count(), 2);
        assert_eq!(tree.read("/upload/same.txt"), Ok(&[10][..]));
        assert_eq!(snapshot.read("/upload/same.txt"), Ok(&[2][..]));
    }

    #[test]
    fn a_long_list_of_uploads_drops_without_running_out_of_stack() {
        let mut tree = FileTree::default();
        let mut snapshots = Vec::new();
        for number in 0..100_000 {
            tree.write(&format!("/upload/{number}"), Vec::new()).expect("writable");
            if number % 100 == 0 {
                // As a timeline does (and the walk for an earlier upload of the path stops there).
                snapshots.push(tree.clone());
            }
        }
        let copy = tree.clone();
        drop(tree);
        assert_eq!(copy.read("/upload/99999"), Ok(&[][..]));
        drop(copy);
        drop(snapshots);
    }

    #[test]
    fn reading_a_directory_is_an_error() {
        let tree = FileTree::default();
        assert_eq!(tree.read("/pub"), Err(FsError::NotAFile { path: "/pub".into() }));
        assert!(tree.read("/pub/lesson-notes.txt").expect("file").len() > 1460);
    }
}
