//! Direct writes: blob content goes around the page cache.
//!
//! Writing through the page cache copies every byte into freshly allocated cache pages, only
//! for a flush to write them out; where free memory is handed back to a hypervisor, each of
//! those pages costs a fault as well. A blob is written once and seldom read at once, so
//! caching it on the way in buys nothing: with `O_DIRECT` the disk reads the bytes straight
//! from one reused buffer. Direct writes must start at,
//! and be sized in, multiples of the block size, from an aligned buffer: [`AlignedWriter`]
//! gathers the stream into such a buffer, writes whole buffers at aligned offsets (reading
//! back the bytes already in the file before an unaligned start), and writes the last
//! partial block through the page cache. Where the file system refuses direct writes, the
//! same positioned writes go through the page cache.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;

/// Alignment of direct writes: offsets, lengths and buffer addresses. 4 KiB covers the
/// logical block size of the disks and file systems in use.
const ALIGN: usize = 4096;

/// The smallest write [`AlignedWriter::write_ready`] makes.
const MIN_WRITE: usize = 64 * 1024;

thread_local! {
    /// The last writer's buffer on this thread, for the next one: no allocation and no
    /// zeroing per object.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Gathers bytes for positioned writes of whole aligned buffers.
pub(super) struct AlignedWriter<'f> {
    file: &'f File,
    /// The buffer; the aligned region used is `raw[base..base + capacity]`.
    raw: Vec<u8>,
    base: usize,
    capacity: usize,
    filled: usize,
    /// File offset of the region's first byte (a multiple of [`ALIGN`]).
    at: u64,
    /// The file's status flags before direct writes were turned on; `None` when the writes
    /// go through the page cache.
    restore: Option<rustix::fs::OFlags>,
}

impl<'f> AlignedWriter<'f> {
    /// Starts writing `file` at `offset`, directly where the file system allows it, in
    /// writes of about `buffer` bytes.
    pub(super) fn start(file: &'f File, offset: u64, buffer: usize) -> std::io::Result<Self> {
        let capacity = buffer.next_multiple_of(ALIGN).max(ALIGN);
        let mut raw = SPARE.take();
        if raw.len() < capacity + ALIGN {
            raw = vec![0u8; capacity + ALIGN];
        }
        let base = raw.as_ptr().align_offset(ALIGN);
        let at = offset - offset % ALIGN as u64;
        let head = (offset - at) as usize;
        // The bytes of the first block that are already the file's go out again with it.
        if head > 0 {
            file.read_exact_at(&mut raw[base..base + head], at)?;
        }
        let restore = direct_on(file)?;
        Ok(AlignedWriter {
            file,
            raw,
            base,
            capacity,
            filled: head,
            at,
            restore,
        })
    }

    pub(super) fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let n = (self.capacity - self.filled).min(data.len());
            let from = self.base + self.filled;
            self.raw[from..from + n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
            if self.filled == self.capacity {
                self.write_out(self.capacity)?;
            }
        }
        Ok(())
    }

    /// Writes the whole blocks gathered so far, once they are worth a write.
    pub(super) fn write_ready(&mut self) -> std::io::Result<()> {
        let whole = self.filled - self.filled % ALIGN;
        if whole >= MIN_WRITE {
            self.write_out(whole)?;
        }
        Ok(())
    }

    /// Writes what is left: the whole blocks directly, the last partial one through the
    /// page cache.
    pub(super) fn finish(mut self) -> std::io::Result<()> {
        let whole = self.filled - self.filled % ALIGN;
        if whole > 0 {
            self.write_out(whole)?;
        }
        self.direct_off()?;
        if self.filled > 0 {
            let region = &self.raw[self.base..self.base + self.filled];
            self.file.write_all_at(region, self.at)?;
        }
        Ok(())
    }

    /// Writes the first `len` bytes of the region (a multiple of [`ALIGN`]) and moves the
    /// rest to its start.
    fn write_out(&mut self, len: usize) -> std::io::Result<()> {
        let region = &self.raw[self.base..self.base + len];
        match self.file.write_all_at(region, self.at) {
            // The file system took the flag but not these writes: through the page cache.
            Err(e) if e.kind() == ErrorKind::InvalidInput && self.restore.is_some() => {
                restore(self.file, &mut self.restore)?;
                self.file.write_all_at(region, self.at)?;
            }
            other => other?,
        }
        self.raw
            .copy_within(self.base + len..self.base + self.filled, self.base);
        self.filled -= len;
        self.at += len as u64;
        Ok(())
    }

    fn direct_off(&mut self) -> std::io::Result<()> {
        restore(self.file, &mut self.restore)
    }
}

/// Gives `file` back the flags it had before direct writes, if they are on.
fn restore(file: &File, flags: &mut Option<rustix::fs::OFlags>) -> std::io::Result<()> {
    if let Some(flags) = flags.take() {
        rustix::fs::fcntl_setfl(file, flags)?;
    }
    Ok(())
}

impl Drop for AlignedWriter<'_> {
    fn drop(&mut self) {
        // A write that failed midway leaves the file as it found it.
        let _ = self.direct_off();
        SPARE.set(std::mem::take(&mut self.raw));
    }
}

/// Turns on direct writes for `file`; returns the flags to restore, or `None` where the
/// file system does not do direct writes.
#[cfg(target_os = "linux")]
fn direct_on(file: &File) -> std::io::Result<Option<rustix::fs::OFlags>> {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let flags = fcntl_getfl(file)?;
    match fcntl_setfl(file, flags | OFlags::DIRECT) {
        Ok(()) => Ok(Some(flags)),
        Err(rustix::io::Errno::INVAL) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn direct_on(_file: &File) -> std::io::Result<Option<rustix::fs::OFlags>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// Writes `pieces` from `offset` over a file holding `before`, and returns the file's
    /// content.
    fn written(before: &[u8], offset: u64, pieces: &[Vec<u8>], buffer: usize) -> Vec<u8> {
        let dir = std::env::temp_dir().join(format!("berth-direct-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, before).unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let mut w = AlignedWriter::start(&file, offset, buffer).unwrap();
        for p in pieces {
            w.write(p).unwrap();
            w.write_ready().unwrap();
        }
        w.finish().unwrap();
        let flags = rustix::fs::fcntl_getfl(&file).unwrap();
        assert!(
            !flags.contains(rustix::fs::OFlags::DIRECT),
            "flags restored"
        );
        let content = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        content
    }

    #[test]
    fn aligned_and_unaligned_starts_and_ends_keep_every_byte() {
        for (before_len, offset, sizes) in [
            (0usize, 0u64, vec![1usize]),
            (0, 0, vec![4096]),
            (0, 0, vec![3 * 4096 + 17, 5, 70_000]),
            (5000, 5000, vec![1, 4095, 8192]),
            (5000, 4096, vec![10]),
            (9000, 5000, vec![100]),
            (100, 100, vec![200_000]),
            (0, 0, vec![70_000, 1 << 20, 3]),
        ] {
            let before = pattern(before_len, 7);
            let pieces: Vec<Vec<u8>> = sizes
                .iter()
                .enumerate()
                .map(|(i, n)| pattern(*n, i as u8))
                .collect();
            let mut want = before.clone();
            let body: Vec<u8> = pieces.concat();
            let end = offset as usize + body.len();
            want.resize(want.len().max(end), 0);
            want[offset as usize..end].copy_from_slice(&body);
            for buffer in [8192, 1 << 20] {
                let got = written(&before, offset, &pieces, buffer);
                let case = format!("{before_len} {offset} {sizes:?} buffer {buffer}");
                assert_eq!(got.len(), want.len(), "{case}");
                assert!(got == want, "content differs: {case}");
            }
        }
    }
}
