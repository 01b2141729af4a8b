//! Atomic file writes and what readers know of a file: a crash at any
//! moment leaves a store file old or new, never half written. Writes go
//! through a temporary file beside their target (`.<name>.<pid>.tmp`),
//! renamed over it; a file rewritten again and again under the store's
//! lock is swapped with a spare instead ([`replace_atomic`]), so that a
//! rewrite neither allocates an inode nor frees one. It must not decide
//! what a file holds or when to write it.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::Durability;

/// Writes `bytes` to `path` so that a crash at any moment leaves either the
/// old file or the complete new one: the bytes go to a temporary file in the
/// same folder, which is synced, renamed over `path`, and the folder synced
/// so that the rename itself is durable.
///
/// # Errors
///
/// Any I/O error; the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (dir, _) = folder_and_name(path);
    let temp = temporary(dir, path);
    let result = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // Syncing the folder makes the rename survive a power cut; not every
        // platform lets a folder be opened, so failure to open is not fatal.
        if let Ok(folder) = File::open(dir) {
            folder.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Writes `files`, all in the folder `dir`, each as [`write_atomic`]
/// does, but syncs the folder once for all: each file's bytes are synced
/// before any is renamed, the renames follow in the order given, and once
/// this returns every one of them is durable. A crash before the folder
/// is synced may keep any of the renames, so a file must not need another
/// of them to be read.
///
/// # Errors
///
/// The path that failed and why; the temporary files not yet renamed are
/// removed, and a file renamed before the failure stays.
pub fn write_atomic_together(
    dir: &Path,
    files: &[(PathBuf, Vec<u8>)],
) -> Result<(), (PathBuf, io::Error)> {
    let temps: Vec<PathBuf> = files.iter().map(|(path, _)| temporary(dir, path)).collect();
    let mut renamed = 0;
    let result = (|| {
        for ((path, bytes), temp) in files.iter().zip(&temps) {
            let mut file = File::create(temp).map_err(|e| (path.clone(), e))?;
            file.write_all(bytes).map_err(|e| (path.clone(), e))?;
            file.sync_all().map_err(|e| (path.clone(), e))?;
        }
        for ((path, _), temp) in files.iter().zip(&temps) {
            fs::rename(temp, path).map_err(|e| (path.clone(), e))?;
            renamed += 1;
        }
        // As in `write_atomic`: a folder that cannot be opened is not fatal.
        if let Ok(folder) = File::open(dir) {
            folder.sync_all().map_err(|e| (dir.to_owned(), e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        for temp in &temps[renamed..] {
            let _ = fs::remove_file(temp);
        }
    }
    result
}

/// The temporary file a write of `path` in `dir` goes through first:
/// hidden (a dot first), named by the writer's process id, so that
/// [`remove_temporaries`] knows a killed writer's leftovers.
fn temporary(dir: &Path, path: &Path) -> PathBuf {
    let (_, file_name) = folder_and_name(path);
    dir.join(format!(".{file_name}.{}.tmp", std::process::id()))
}

/// A file's inode, size and modification time: two atomic writes of one
/// path never share one, even within one tick of a coarse clock (a rename
/// gives the path a new inode; a swap with the spare, one of two inodes
/// whose modification time it sets to the nanosecond). Lets a reader keep
/// what it parsed from a file while the file is still that one.
pub type FileIdentity = (u64, u64, SystemTime);

/// The [`FileIdentity`] of the file at `path`, or `None` when there is none.
pub fn file_identity(path: &Path) -> Option<FileIdentity> {
    identity_of(&fs::metadata(path).ok()?)
}

/// The [`FileIdentity`] `meta` describes; `None` where the platform keeps
/// no modification time.
pub(super) fn identity_of(meta: &fs::Metadata) -> Option<FileIdentity> {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((inode, meta.len(), meta.modified().ok()?))
}

/// Replaces the file at `path` with `bytes` as [`write_atomic`] does,
/// but swaps the new file with the old one instead of renaming over it:
/// the bytes go to the path's spare (`.<name>.spare`, made at the second
/// write), which is then exchanged with `path` in one step and emptied.
/// A rewrite thus neither allocates an inode nor frees one: on ext4, a
/// file system without a journal looks for a free inode past every inode
/// freed in the last minutes, so that a store whose files are renamed
/// over thousands of times a minute spends more time there than in the
/// writes. Where the file system cannot exchange (or `path` does not exist
/// yet) the spare is renamed over `path`, as [`write_atomic`] does. A
/// lazy replace syncs neither the file nor the folder.
/// Returns the new file's [`FileIdentity`].
///
/// Only for a file that one writer rewrites at a time (the store's lock
/// holder): two writers would share the spare.
///
/// # Errors
///
/// As [`write_atomic`]; a failure before the swap leaves `path` untouched.
pub fn replace_atomic(
    path: &Path,
    bytes: &[u8],
    sync: Durability,
) -> io::Result<Option<FileIdentity>> {
    let (dir, name) = folder_and_name(path);
    let spare = dir.join(format!(".{name}.spare"));
    let durable = sync == Durability::Durable;
    let mut file = File::create(&spare)?;
    let written = (|| {
        file.write_all(bytes)?;
        // The spare's inode was `path`'s two writes ago: its modification
        // time, set to the clock's nanosecond, keeps the identities apart
        // where the file system's own clock ticks coarsely.
        file.set_modified(SystemTime::now())?;
        if durable {
            file.sync_all()?;
        }
        Ok(identity_of(&file.metadata()?))
    })();
    let identity = match written {
        Ok(identity) => identity,
        Err(e) => {
            // Emptied, as a spare is kept between writes.
            let _ = file.set_len(0);
            return Err(e);
        }
    };
    drop(file);
    let swapped = swap(&spare, path)?;
    if durable && let Ok(folder) = File::open(dir) {
        folder.sync_all()?;
    }
    if swapped {
        // The spare now holds the old file: emptied, its blocks go back.
        let _ = File::create(&spare);
    }
    Ok(identity)
}

/// Puts `spare` in `path`'s place, exchanging the two where the file system
/// can; returns whether it did (`spare` then holds the old file).
fn swap(spare: &Path, path: &Path) -> io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, spare, CWD, path, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(true),
            // No file to exchange with yet, or a file system (or kernel)
            // without the exchange: a rename does.
            Err(Errno::NOENT | Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {}
            Err(e) => return Err(e.into()),
        }
    }
    fs::rename(spare, path)?;
    Ok(false)
}

/// The folder `path` is in (`.` for a bare name) and its file name.
fn folder_and_name(path: &Path) -> (&Path, String) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    (dir, name)
}

/// Removes the temporary files (`.<name>.<pid>.tmp`) of interrupted
/// writes in `dir` and, `depth` levels down, in its sub-folders. Called
/// by the lock holder when it opens the store; a command that writes
/// beside it without the lock (`outbox requeue`) may be mid-write, so a
/// file whose writer is still alive is left alone.
pub fn remove_temporaries(dir: &Path, depth: u32) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if depth > 0 {
                remove_temporaries(&path, depth - 1);
            }
        } else if name.starts_with('.') && name.ends_with(".tmp") && !writer_alive(&name, &entry) {
            match fs::remove_file(&path) {
                Ok(()) => {
                    tracing::info!(file = %path.display(), "removed the leftover of an interrupted write")
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "cannot remove the leftover of an interrupted write")
                }
            }
        }
    }
}

/// Whether the process that named temporary file `name` may still be
/// writing it: its id (`.<file>.<pid>.tmp`) is a live process where
/// `/proc` says so, else the file is younger than a minute.
fn writer_alive(name: &str, entry: &fs::DirEntry) -> bool {
    let pid = name
        .strip_suffix(".tmp")
        .and_then(|rest| rest.rsplit('.').next())
        .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
    let proc = Path::new("/proc");
    match pid {
        Some(pid) if proc.join("self").exists() => {
            pid != std::process::id().to_string() && proc.join(pid).exists()
        }
        _ => entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() < 60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_atomic_write_gives_the_file_another_identity() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("state.json");
        assert_eq!(file_identity(&path), None);
        write_atomic(&path, b"{}").expect("written");
        let first = file_identity(&path);
        // Same size, written at once: only the inode may tell them apart.
        write_atomic(&path, b"[]").expect("written");
        assert!(first.is_some());
        assert_ne!(file_identity(&path), first);
    }

    #[cfg(unix)]
    #[test]
    fn a_rewrite_swaps_the_file_with_its_emptied_spare() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("state.json");
        let spare = dir.path().join(".state.json.spare");
        let inode = |p: &Path| fs::metadata(p).expect("a file").ino();
        let mut identities = Vec::new();
        for bytes in [b"{1}", b"{2}", b"{3}", b"{4}"] {
            let identity = replace_atomic(&path, bytes, Durability::Durable).expect("written");
            assert_eq!(
                identity,
                file_identity(&path),
                "the identity returned is the file's"
            );
            assert_eq!(fs::read(&path).expect("read"), bytes);
            identities.push(identity.expect("an identity"));
        }
        // Same size, written at once, every other write on one inode: the
        // identities still differ.
        for (i, a) in identities.iter().enumerate() {
            assert!(identities[i + 1..].iter().all(|b| b != a), "{identities:?}");
        }
        assert_eq!(fs::metadata(&spare).expect("the spare").len(), 0);
        // The path alternates between two inodes: none made, none freed.
        let now = inode(&path);
        replace_atomic(&path, b"{5}", Durability::Lazy).expect("written");
        assert_eq!(inode(&spare), now);
        replace_atomic(&path, b"{6}", Durability::Lazy).expect("written");
        assert_eq!(inode(&path), now);
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_first_replace_leaves_no_spare_and_a_failed_one_leaves_the_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("feed.atom");
        replace_atomic(&path, b"first", Durability::Durable).expect("written");
        assert!(!dir.path().join(".feed.atom.spare").exists());
        let missing = dir.path().join("gone").join("feed.atom");
        assert!(replace_atomic(&missing, b"x", Durability::Durable).is_err());
        assert_eq!(fs::read(&path).expect("read"), b"first");
    }
}
