//! C2SP `tlog-tiles` paths: hash tiles `tile/<L>/<N>[.p/<W>]` and entry
//! bundles `tile/entries/<N>[.p/<W>]`, relative to a log's prefix.
//!
//! `N` is written in groups of three digits, every group but the last
//! prefixed with `x` (1234067 is `x001/x234/067`); `.p/<W>` marks a partial
//! tile of width 1 to 255. Unlike Go's sumdb (and `tlog_tiles` 0.2.0's
//! `Tile::path`), there is no height element: the height is always 8.

/// Hashes in a full tile, and entries in a full bundle.
pub const TILE_WIDTH: u64 = 256;

/// The highest tile level C2SP allows.
pub const MAX_LEVEL: u8 = 63;

/// What a tile holds: the hashes of one level, or the log's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// Hashes of tree level `8 × L`, the level given.
    Hashes(u8),
    /// Entries (leaves), 256 to a full bundle.
    Entries,
}

/// One tile or entry bundle: its kind, index within its level, and width
/// (1 to 256, 256 being a full tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TilePath {
    kind: TileKind,
    index: u64,
    width: u16,
}

/// Why a path is not one [`TilePath::path`] would write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path:?} is not a tile path ({why})")]
pub struct PathError {
    pub path: String,
    pub why: &'static str,
}

impl TilePath {
    /// A tile; None if the level is above 63 or the width is not 1 to 256.
    pub fn new(kind: TileKind, index: u64, width: u16) -> Option<Self> {
        let level_ok = match kind {
            TileKind::Hashes(l) => l <= MAX_LEVEL,
            TileKind::Entries => true,
        };
        (level_ok && (1..=256).contains(&width)).then_some(Self { kind, index, width })
    }

    pub fn kind(&self) -> TileKind {
        self.kind
    }

    pub fn index(&self) -> u64 {
        self.index
    }

    /// Hashes (or entries) in the tile, 1 to 256.
    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The same tile, full width (where a partial tile's content can also
    /// be read once the log has grown past it).
    pub fn full(&self) -> Self {
        Self { width: 256, ..*self }
    }

    /// The path relative to the log's prefix, e.g. `tile/0/x001/000.p/5`.
    pub fn path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes(l) => l.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let mut n = self.index;
        let mut groups = vec![format!("{:03}", n % 1000)];
        while n >= 1000 {
            n /= 1000;
            groups.push(format!("x{:03}", n % 1000));
        }
        groups.reverse();
        let mut out = format!("tile/{level}/{}", groups.join("/"));
        if !self.is_full() {
            out.push_str(&format!(".p/{}", self.width));
        }
        out
    }

    /// Reads a path relative to the log's prefix: exactly what
    /// [`TilePath::path`] writes and nothing else (no leading zeros, no
    /// `.p/0` or `.p/256`, no empty leading `x000` group).
    pub fn parse(path: &str) -> Result<Self, PathError> {
        let fail = |why| PathError { path: path.to_owned(), why };
        let rest = path.strip_prefix("tile/").ok_or_else(|| fail("it does not start with tile/"))?;
        let (rest, width) = match rest.split_once(".p/") {
            Some((rest, w)) => {
                let w = decimal(w).ok_or_else(|| fail("the width is not a decimal number"))?;
                if !(1..=255).contains(&w) {
                    return Err(fail("a partial width is 1 to 255"));
                }
                (rest, w as u16)
            }
            None => (rest, 256),
        };
        let (level, groups) = rest.split_once('/').ok_or_else(|| fail("it has no tile index"))?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let l = decimal(level).ok_or_else(|| fail("the level is not a decimal number"))?;
            if l > u64::from(MAX_LEVEL) {
                return Err(fail("the level is above 63"));
            }
            TileKind::Hashes(l as u8)
        };
        let groups: Vec<&str> = groups.split('/').collect();
        let last = groups.len() - 1;
        let mut index: u64 = 0;
        for (i, group) in groups.iter().enumerate() {
            let digits = if i < last {
                group.strip_prefix('x').ok_or_else(|| fail("every group but the last starts with x"))?
            } else {
                group
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail("index groups are three digits"));
            }
            if i == 0 && last > 0 && digits == "000" {
                return Err(fail("the index has a leading zero group"));
            }
            let value: u64 = digits.parse().map_err(|_| fail("index groups are three digits"))?;
            index = index
                .checked_mul(1000)
                .and_then(|n| n.checked_add(value))
                .ok_or_else(|| fail("the index is too large"))?;
        }
        Ok(Self { kind, index, width })
    }
}

impl std::fmt::Display for TilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path())
    }
}

/// A decimal number without sign or leading zeros ("0" itself allowed).
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// The tiles of one level (`kind`) over `count` items of that level: the
/// full ones, then the partial one if `count` is not a multiple of 256.
fn level_tiles(kind: TileKind, count: u64) -> impl Iterator<Item = TilePath> {
    let full = count / TILE_WIDTH;
    let rest = (count % TILE_WIDTH) as u16;
    (0..full).map(move |index| TilePath { kind, index, width: 256 }).chain((rest > 0).then_some(TilePath {
        kind,
        index: full,
        width: rest,
    }))
}

/// The hash tiles a tree of `size` leaves implies, level by level, each
/// level's in index order (the tiles whose width the size fixes: a client
/// must not ask for other partial widths).
pub fn hash_tiles(size: u64) -> Vec<TilePath> {
    let mut out = Vec::new();
    let mut level: u8 = 0;
    while level <= MAX_LEVEL && level_count(size, level) > 0 {
        out.extend(level_tiles(TileKind::Hashes(level), level_count(size, level)));
        level += 1;
    }
    out
}

/// The hashes a tree of `size` leaves has at tile level `level`: one for
/// each complete subtree of 256^level leaves.
pub fn level_count(size: u64, level: u8) -> u64 {
    size.checked_shr(8 * u32::from(level)).unwrap_or(0)
}

/// The number of levels of hash tiles a tree of `size` leaves has.
pub fn levels(size: u64) -> u8 {
    let mut level = 0;
    while level <= MAX_LEVEL && level_count(size, level) > 0 {
        level += 1;
    }
    level
}

/// The entry bundles a tree of `size` leaves implies, in index order.
pub fn entry_bundles(size: u64) -> impl Iterator<Item = TilePath> {
    level_tiles(TileKind::Entries, size)
}

/// The tile of `kind` with `index` as a tree of `size` leaves has it (full,
/// or the partial one of the width the size implies); None if the tree has
/// no such tile.
pub fn tile_at(kind: TileKind, index: u64, size: u64) -> Option<TilePath> {
    let count = match kind {
        TileKind::Hashes(l) if l <= MAX_LEVEL => level_count(size, l),
        TileKind::Hashes(_) => return None,
        TileKind::Entries => size,
    };
    let start = index.checked_mul(TILE_WIDTH)?;
    if start >= count {
        return None;
    }
    let width = (count - start).min(TILE_WIDTH) as u16;
    Some(TilePath { kind, index, width })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(level: u8, index: u64, width: u16) -> TilePath {
        TilePath::new(TileKind::Hashes(level), index, width).unwrap()
    }

    /// The table of the study (§1.2).
    #[test]
    fn indexes_are_written_in_groups_of_three() {
        assert_eq!(t(0, 0, 256).path(), "tile/0/000");
        assert_eq!(t(0, 272, 256).path(), "tile/0/272");
        assert_eq!(t(1, 999, 256).path(), "tile/1/999");
        assert_eq!(t(0, 1000, 256).path(), "tile/0/x001/000");
        assert_eq!(t(0, 1_234_067, 5).path(), "tile/0/x001/x234/067.p/5");
        let e = TilePath::new(TileKind::Entries, 1_234_067, 256).unwrap();
        assert_eq!(e.path(), "tile/entries/x001/x234/067");
        assert_eq!(t(63, u64::MAX, 255).path(), "tile/63/x018/x446/x744/x073/x709/x551/615.p/255");
    }

    #[test]
    fn parsing_accepts_only_what_encoding_writes() {
        for good in
            ["tile/0/000", "tile/1/999", "tile/0/x001/000", "tile/0/x001/x234/067.p/5", "tile/entries/273.p/112"]
        {
            assert_eq!(TilePath::parse(good).unwrap().path(), good);
        }
        assert_eq!(TilePath::parse("tile/entries/001").unwrap(), TilePath::new(TileKind::Entries, 1, 256).unwrap());
        for bad in [
            "tile/0/1",
            "tile/0/x000/001",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/05",
            "tile/00/000",
            "tile/01/000",
            "tile/64/000",
            "tile/0/0001",
            "tile/0/001/000",
            "tile/0/x1/000",
            "tile/0/x001",
            "tile/0/",
            "tile/0",
            "tile/8/0/000",
            "tile/data/000",
            "tile/0/000.p/",
            "tile/0/000.p/+5",
            "tile/0/000/",
            "/tile/0/000",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tile/0/x001/x002/x003/x004/x005/x006/x007/000",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad}");
        }
        assert!(TilePath::new(TileKind::Hashes(64), 0, 1).is_none());
        assert!(TilePath::new(TileKind::Hashes(0), 0, 0).is_none());
        assert!(TilePath::new(TileKind::Hashes(0), 0, 257).is_none());
    }

    /// The study's example (§1.2): 70,000 leaves make 277 tiles.
    #[test]
    fn a_tree_of_70000_leaves_has_277_tiles_of_known_widths() {
        let tiles = hash_tiles(70_000);
        assert_eq!(tiles.len(), 277);
        assert!(tiles[..273].iter().enumerate().all(|(i, tile)| *tile == t(0, i as u64, 256)));
        assert_eq!(tiles[273].path(), "tile/0/273.p/112");
        assert_eq!(tiles[274].path(), "tile/1/000");
        assert_eq!(tiles[275].path(), "tile/1/001.p/17");
        assert_eq!(tiles[276].path(), "tile/2/000.p/1");
        assert_eq!(levels(70_000), 3);
        let bundles: Vec<_> = entry_bundles(70_000).collect();
        assert_eq!(bundles.len(), 274);
        assert_eq!(bundles[273].path(), "tile/entries/273.p/112");

        let paths: Vec<String> = hash_tiles(256).iter().map(TilePath::path).collect();
        assert_eq!(paths, ["tile/0/000", "tile/1/000.p/1"]);
        assert!(hash_tiles(0).is_empty());
        assert_eq!(entry_bundles(0).count(), 0);
        assert_eq!(hash_tiles(65_536).last().unwrap().path(), "tile/2/000.p/1");
        assert_eq!(tile_at(TileKind::Hashes(1), 1, 70_000), Some(t(1, 1, 17)));
        assert_eq!(tile_at(TileKind::Hashes(1), 0, 70_000), Some(t(1, 0, 256)));
        assert_eq!(tile_at(TileKind::Hashes(1), 2, 70_000), None);
        assert_eq!(tile_at(TileKind::Hashes(3), 0, 70_000), None);
    }

    /// The same layout as `tlog_tiles`' `Tile::new_tiles` from the empty tree.
    #[test]
    fn the_layout_matches_tlog_tiles() {
        for size in [1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000, 16_777_217] {
            let ours: Vec<(u8, u64, u16)> = hash_tiles(size)
                .iter()
                .map(|t| match t.kind() {
                    TileKind::Hashes(l) => (l, t.index(), t.width()),
                    TileKind::Entries => unreachable!(),
                })
                .collect();
            let theirs: Vec<(u8, u64, u16)> = tlog_tiles::Tile::new_tiles(8, 0, size)
                .iter()
                .map(|t| (t.level(), t.level_index(), t.width() as u16))
                .collect();
            assert_eq!(ours, theirs, "size {size}");
        }
    }

    proptest! {
        #[test]
        fn paths_read_back_as_written(level in 0u8..=63, index: u64, width in 1u16..=256, entries: bool) {
            let kind = if entries { TileKind::Entries } else { TileKind::Hashes(level) };
            let tile = TilePath::new(kind, index, width).unwrap();
            prop_assert_eq!(TilePath::parse(&tile.path()), Ok(tile));
        }

        #[test]
        fn whatever_parses_is_written_back_the_same(s in "tile/(0|1|63|64|00|entries)/(x[0-9]{1,3}/){0,2}[0-9]{2,4}(\\.p/[0-9]{1,3})?") {
            if let Ok(tile) = TilePath::parse(&s) {
                prop_assert_eq!(tile.path(), s);
            }
        }
    }
}
