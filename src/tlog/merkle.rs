//! A small RFC 9162 Merkle tree verifier, written here so that the command
//! line's checks do not rest on the crate the server appends with: a
//! streaming root builder, inclusion and consistency proofs built from any
//! source of complete subtree hashes, and their verification by the steps
//! of RFC 9162 §2.1.3.2 and §2.1.4.2.

use sha2::{Digest, Sha256};

use super::{EMPTY_ROOT, Hash};

/// RFC 6962 interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Builds a tree's root from its leaf hashes pushed in order, holding one
/// hash per level (O(log n)).
#[derive(Debug, Clone, Default)]
pub struct RootBuilder {
    size: u64,
    /// Complete subtrees not yet joined: (height, hash), heights decreasing.
    stack: Vec<(u32, Hash)>,
}

impl RootBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves pushed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf hash.
    pub fn push(&mut self, leaf_hash: Hash) {
        self.join(0, leaf_hash);
    }

    /// Adds the next 2^height leaves at once, as the hash of their perfect
    /// subtree; false (and nothing added) unless the size so far is a
    /// multiple of 2^height.
    pub fn push_subtree(&mut self, height: u32, hash: Hash) -> bool {
        if height >= 64 || !self.size.is_multiple_of(1u64 << height) {
            return false;
        }
        self.join(height, hash);
        true
    }

    fn join(&mut self, height: u32, hash: Hash) {
        self.size += 1 << height;
        let (mut height, mut hash) = (height, hash);
        while let Some(&(h, left)) = self.stack.last() {
            if h != height {
                break;
            }
            self.stack.pop();
            hash = node_hash(&left, &hash);
            height += 1;
        }
        self.stack.push((height, hash));
    }

    /// The root of the leaves pushed so far (the empty hash for none).
    pub fn root(&self) -> Hash {
        let mut parts = self.stack.iter().rev();
        let Some((_, last)) = parts.next() else {
            return EMPTY_ROOT;
        };
        parts.fold(*last, |acc, (_, left)| node_hash(left, &acc))
    }
}

/// The root of a perfect subtree given its leaves' (or lower nodes')
/// hashes; None unless their number is a power of two.
pub fn perfect_root(hashes: &[Hash]) -> Option<Hash> {
    if !hashes.len().is_power_of_two() {
        return None;
    }
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level.chunks_exact(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    level.first().copied()
}

/// Where proofs come from: the hash of the complete subtree of 2^height
/// leaves starting at leaf `index × 2^height`.
pub trait Nodes {
    type Error;
    fn node(&self, height: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[a:b]) for 0 ≤ a < b, from complete subtrees.
pub fn range_hash<N: Nodes>(nodes: &N, a: u64, b: u64) -> Result<Hash, N::Error> {
    let n = b - a;
    if n.is_power_of_two() && a.is_multiple_of(n) {
        return nodes.node(n.trailing_zeros(), a / n);
    }
    let k = split(n);
    Ok(node_hash(&range_hash(nodes, a, a + k)?, &range_hash(nodes, a + k, b)?))
}

/// Why a proof cannot be built or does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a tree of {old} leaves cannot be a prefix of one of {new}")]
    OldTreeLarger { old: u64, new: u64 },
    #[error("the proof has the wrong number of hashes")]
    Length,
    #[error("the proof does not lead to the expected root")]
    Mismatch,
}

/// RFC 9162 PATH(index, D[size]), from the leaf's sibling up.
pub fn inclusion_proof<N: Nodes>(nodes: &N, index: u64, size: u64) -> Result<Result<Vec<Hash>, ProofError>, N::Error> {
    if index >= size {
        return Ok(Err(ProofError::IndexOutOfRange { index, size }));
    }
    let mut out = Vec::new();
    path(nodes, index, 0, size, &mut out)?;
    Ok(Ok(out))
}

fn path<N: Nodes>(nodes: &N, m: u64, a: u64, b: u64, out: &mut Vec<Hash>) -> Result<(), N::Error> {
    if b - a == 1 {
        return Ok(());
    }
    let k = split(b - a);
    if m < a + k {
        path(nodes, m, a, a + k, out)?;
        out.push(range_hash(nodes, a + k, b)?);
    } else {
        path(nodes, m, a + k, b, out)?;
        out.push(range_hash(nodes, a, a + k)?);
    }
    Ok(())
}

/// RFC 9162 PROOF(old, D[new]): empty when old is 0 or equals new.
pub fn consistency_proof<N: Nodes>(nodes: &N, old: u64, new: u64) -> Result<Result<Vec<Hash>, ProofError>, N::Error> {
    if old > new {
        return Ok(Err(ProofError::OldTreeLarger { old, new }));
    }
    let mut out = Vec::new();
    if old > 0 && old < new {
        subproof(nodes, old, 0, new, true, &mut out)?;
    }
    Ok(Ok(out))
}

fn subproof<N: Nodes>(nodes: &N, m: u64, a: u64, b: u64, whole: bool, out: &mut Vec<Hash>) -> Result<(), N::Error> {
    if m == b {
        if !whole {
            out.push(range_hash(nodes, a, b)?);
        }
        return Ok(());
    }
    let k = split(b - a);
    if m <= a + k {
        subproof(nodes, m, a, a + k, whole, out)?;
        out.push(range_hash(nodes, a + k, b)?);
    } else {
        subproof(nodes, m, a + k, b, false, out)?;
        out.push(range_hash(nodes, a, a + k)?);
    }
    Ok(())
}

/// Shifts `fn_` and `sn` right together until `fn_` is odd or zero.
fn shift_to_odd(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// RFC 9162 §2.1.3.2: whether `proof` shows the leaf hash at `index` in the
/// tree of `size` leaves with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::Length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            shift_to_odd(&mut fn_, &mut sn);
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Length);
    }
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `old` leaves with
/// `old_root` to be a prefix of the tree of `new` leaves with `new_root`.
/// An empty old tree is consistent with any tree (its root must be the
/// empty hash); equal sizes need equal roots; both take an empty proof.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::OldTreeLarger { old, new });
    }
    if old == 0 || old == new {
        if !proof.is_empty() {
            return Err(ProofError::Length);
        }
        let same = if old == 0 { *old_root == EMPTY_ROOT } else { old_root == new_root };
        return if same { Ok(()) } else { Err(ProofError::Mismatch) };
    }
    if proof.is_empty() {
        return Err(ProofError::Length);
    }
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof);
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*path[0], *path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::Length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            shift_to_odd(&mut fn_, &mut sn);
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Length);
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tlog::leaf_hash;
    use proptest::prelude::*;
    use std::convert::Infallible;

    /// Every complete subtree of a tree held in memory: levels[h][i].
    pub(crate) struct Levels(pub Vec<Vec<Hash>>);

    impl Levels {
        pub(crate) fn new(leaf_hashes: Vec<Hash>) -> Self {
            let mut levels = vec![leaf_hashes];
            while let Some(top) = levels.last().filter(|l| l.len() > 1) {
                let next = top.chunks_exact(2).map(|p| node_hash(&p[0], &p[1])).collect();
                levels.push(next);
            }
            Self(levels)
        }
    }

    impl Nodes for Levels {
        type Error = Infallible;
        fn node(&self, height: u32, index: u64) -> Result<Hash, Infallible> {
            Ok(self.0[height as usize][index as usize])
        }
    }

    fn leaves(n: u64) -> Vec<Vec<u8>> {
        (0..n).map(|i| i.to_be_bytes().to_vec()).collect()
    }

    fn hashes(leaves: &[Vec<u8>]) -> Vec<Hash> {
        leaves.iter().map(|l| leaf_hash(l)).collect()
    }

    fn root_of(hashes: &[Hash]) -> Hash {
        let mut b = RootBuilder::new();
        hashes.iter().for_each(|h| b.push(*h));
        b.root()
    }

    /// The reference leaves of the study (§5.2, from transparency-dev/merkle).
    fn reference() -> Vec<Hash> {
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
            .iter()
            .map(|h| leaf_hash(&hex::decode(h).unwrap()))
            .collect()
    }

    fn prefixes(proof: &[Hash]) -> Vec<String> {
        proof.iter().map(|h| hex::encode(&h[..4])).collect()
    }

    #[test]
    fn the_reference_roots_are_rebuilt() {
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = reference();
        for (n, root) in roots.iter().enumerate() {
            assert_eq!(hex::encode(root_of(&leaves[..n])), *root, "size {n}");
        }
    }

    #[test]
    fn the_reference_inclusion_proofs_are_built_and_verify() {
        let leaves = reference();
        let cases: [(u64, u64, &[&str]); 5] = [
            (8, 0, &["96a296d2", "5f083f0a", "6b47aaf2"]),
            (8, 5, &["bc1a0643", "ca854ea1", "d37ee418"]),
            (5, 1, &["6e340b9c", "5f083f0a", "bc1a0643"]),
            (3, 2, &["fac54203"]),
            (1, 0, &[]),
        ];
        for (size, index, want) in cases {
            let tree = Levels::new(leaves[..size as usize].to_vec());
            let proof = inclusion_proof(&tree, index, size).unwrap().unwrap();
            assert_eq!(prefixes(&proof), want, "({size}, {index})");
            let root = root_of(&leaves[..size as usize]);
            assert_eq!(verify_inclusion(index, size, &leaves[index as usize], &proof, &root), Ok(()));
            // A wrong leaf or index, or a proof one hash short or long, fails.
            assert!(verify_inclusion(index, size, &leaves[7 - index as usize], &proof, &root).is_err());
            assert!(verify_inclusion(index + size, size, &leaves[index as usize], &proof, &root).is_err());
            let mut long = proof.clone();
            long.push(root);
            assert!(verify_inclusion(index, size, &leaves[index as usize], &long, &root).is_err());
            if !proof.is_empty() {
                assert!(verify_inclusion(index, size, &leaves[index as usize], &proof[1..], &root).is_err());
                let mut flipped = proof.clone();
                flipped[0][0] ^= 1;
                assert!(verify_inclusion(index, size, &leaves[index as usize], &flipped, &root).is_err());
            }
        }
    }

    #[test]
    fn the_reference_consistency_proofs_are_built_and_verify() {
        let leaves = reference();
        let tree = Levels::new(leaves.clone());
        let cases: [(u64, u64, &[&str]); 6] = [
            (1, 8, &["96a296d2", "5f083f0a", "6b47aaf2"]),
            (2, 5, &["5f083f0a", "bc1a0643"]),
            (6, 8, &["0ebc5d34", "ca854ea1", "d37ee418"]),
            (3, 7, &["0298d122", "07506a85", "fac54203", "837dbb15"]),
            (4, 7, &["837dbb15"]),
            (6, 7, &["0ebc5d34", "b08693ec", "d37ee418"]),
        ];
        for (old, new, want) in cases {
            let proof = consistency_proof(&tree, old, new).unwrap().unwrap();
            assert_eq!(prefixes(&proof), want, "{old} -> {new}");
            let (r1, r2) = (root_of(&leaves[..old as usize]), root_of(&leaves[..new as usize]));
            assert_eq!(verify_consistency(old, new, &r1, &r2, &proof), Ok(()));
            assert!(verify_consistency(old, new, &r2, &r1, &proof).is_err(), "swapped roots");
            assert!(verify_consistency(old, new, &r1, &r2, &[]).is_err(), "empty proof");
            assert!(verify_consistency(old, new, &r1, &r2, &proof[..proof.len() - 1]).is_err(), "truncated");
            let mut more = proof.clone();
            more.push(r2);
            assert!(verify_consistency(old, new, &r1, &r2, &more).is_err(), "trailing hash");
            assert!(verify_consistency(old + 1, new, &r1, &r2, &proof).is_err(), "old size");
        }
    }

    /// The edge cases of study §2.3.
    #[test]
    fn empty_and_equal_trees_are_consistent_only_as_the_rfc_says() {
        let leaves = reference();
        let r8 = root_of(&leaves);
        let tree = Levels::new(leaves);
        assert_eq!(consistency_proof(&tree, 8, 8).unwrap(), Ok(vec![]));
        assert_eq!(consistency_proof(&tree, 0, 8).unwrap(), Ok(vec![]));
        assert_eq!(verify_consistency(8, 8, &r8, &r8, &[]), Ok(()));
        assert_eq!(verify_consistency(8, 8, &r8, &EMPTY_ROOT, &[]), Err(ProofError::Mismatch));
        assert_eq!(verify_consistency(8, 8, &r8, &r8, &[r8]), Err(ProofError::Length));
        assert_eq!(verify_consistency(0, 8, &EMPTY_ROOT, &r8, &[]), Ok(()));
        assert_eq!(verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]), Ok(()));
        assert_eq!(verify_consistency(0, 8, &r8, &r8, &[]), Err(ProofError::Mismatch));
        assert_eq!(verify_consistency(9, 8, &r8, &r8, &[]), Err(ProofError::OldTreeLarger { old: 9, new: 8 }));
        assert_eq!(inclusion_proof(&tree, 8, 8).unwrap(), Err(ProofError::IndexOutOfRange { index: 8, size: 8 }));
        assert_eq!(
            verify_inclusion(0, 0, &r8, &[], &EMPTY_ROOT),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
    }

    #[test]
    fn subtrees_can_be_pushed_whole_when_aligned() {
        let hs = hashes(&leaves(700));
        let mut b = RootBuilder::new();
        assert!(b.push_subtree(8, perfect_root(&hs[..256]).unwrap()));
        assert!(!b.push_subtree(9, [0; 32]), "512 leaves cannot start at 256");
        assert!(b.push_subtree(8, perfect_root(&hs[256..512]).unwrap()));
        hs[512..].iter().for_each(|h| b.push(*h));
        assert_eq!(b.size(), 700);
        assert_eq!(b.root(), root_of(&hs));
        assert_eq!(perfect_root(&hs[..3]), None);
    }

    /// In-memory stored hashes, as `tlog_tiles` keeps them.
    struct Stored(Vec<tlog_tiles::Hash>);

    impl tlog_tiles::HashReader for Stored {
        fn read_hashes(&self, idx: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
            idx.iter().map(|&i| self.0.get(i as usize).copied().ok_or(tlog_tiles::Error::IndexesNotInTree)).collect()
        }
    }

    fn stored(leaves: &[Vec<u8>]) -> Stored {
        let mut s = Stored(Vec::new());
        for (n, leaf) in leaves.iter().enumerate() {
            let new = tlog_tiles::stored_hashes(n as u64, leaf, &s).unwrap();
            s.0.extend(new);
        }
        s
    }

    type Ct = ct_merkle::mem_backed_tree::MemoryBackedTree<sha2_011::Sha256, Vec<u8>>;

    fn ct(leaves: &[Vec<u8>]) -> Ct {
        let mut t = Ct::new();
        leaves.iter().for_each(|l| t.push(l.clone()));
        t
    }

    fn unbytes(b: &[u8]) -> Vec<Hash> {
        b.chunks_exact(32).map(|c| c.try_into().unwrap()).collect()
    }

    fn unwrap_tlog(p: Vec<tlog_tiles::Hash>) -> Vec<Hash> {
        p.into_iter().map(|h| h.0).collect()
    }

    /// Roots and proofs at `size` (and the pairs given) agree with
    /// `tlog_tiles` and, if `with_ct`, with ct-merkle.
    fn agree(size: u64, indexes: &[u64], olds: &[u64], with_ct: bool) {
        let leaves = leaves(size);
        let hs = hashes(&leaves);
        let ours = Levels::new(hs.clone());
        let tl = stored(&leaves);
        let root = root_of(&hs);
        assert_eq!(root, tlog_tiles::tree_hash(size, &tl).unwrap().0, "root {size}");
        let ctt = with_ct.then(|| ct(&leaves));
        if let Some(t) = &ctt {
            assert_eq!(root.as_slice(), t.root().as_bytes().as_slice(), "ct root {size}");
        }
        for &i in indexes {
            let proof = inclusion_proof(&ours, i, size).unwrap().unwrap();
            assert_eq!(proof, unwrap_tlog(tlog_tiles::prove_record(size, i, &tl).unwrap()), "inclusion {i}/{size}");
            if let Some(t) = &ctt {
                assert_eq!(proof, unbytes(t.prove_inclusion(i as usize).as_bytes()), "ct inclusion {i}/{size}");
            }
            assert_eq!(verify_inclusion(i, size, &hs[i as usize], &proof, &root), Ok(()));
        }
        for &m in olds {
            let proof = consistency_proof(&ours, m, size).unwrap().unwrap();
            let old_root = root_of(&hs[..m as usize]);
            if m > 0 {
                let theirs = unwrap_tlog(tlog_tiles::prove_tree(size, m, &tl).unwrap());
                assert_eq!(proof, theirs, "consistency {m}->{size}");
                if let Some(t) = &ctt
                    && m < size
                {
                    // ct-merkle proves from the tree's own size back by the leaves added.
                    let p = unbytes(t.prove_consistency((size - m) as usize).as_bytes());
                    assert_eq!(proof, p, "ct consistency {m}->{size}");
                }
            }
            assert_eq!(verify_consistency(m, size, &old_root, &root, &proof), Ok(()), "{m}->{size}");
        }
    }

    #[test]
    fn the_tile_boundaries_agree_with_tlog_tiles_and_ct_merkle() {
        for size in [255, 256, 257] {
            agree(size, &[0, 1, 127, 254, size - 1], &[0, 1, 128, 200, 255, size], true);
        }
        for size in [65_535, 65_536, 65_537] {
            agree(size, &[0, 255, 256, 65_534, size - 1], &[1, 256, 257, 65_535, size], false);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn the_three_implementations_agree(size in 1u64..1500, i in any::<prop::sample::Index>(), m in any::<prop::sample::Index>()) {
            let i = i.index(size as usize) as u64;
            let m = m.index(size as usize + 1) as u64;
            agree(size, &[i], &[m], true);
        }

        #[test]
        fn a_changed_hash_fails_the_proofs(size in 2u64..300, i in any::<prop::sample::Index>(), m in any::<prop::sample::Index>(), bit in 0usize..256, which in any::<prop::sample::Index>()) {
            let i = i.index(size as usize) as u64;
            let m = 1 + m.index(size as usize - 1) as u64;
            let hs = hashes(&leaves(size));
            let tree = Levels::new(hs.clone());
            let root = root_of(&hs);
            let mut proof = inclusion_proof(&tree, i, size).unwrap().unwrap();
            if !proof.is_empty() {
                let w = which.index(proof.len());
                proof[w][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_inclusion(i, size, &hs[i as usize], &proof, &root).is_err());
            }
            let mut proof = consistency_proof(&tree, m, size).unwrap().unwrap();
            let old = root_of(&hs[..m as usize]);
            if !proof.is_empty() {
                let w = which.index(proof.len());
                proof[w][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_consistency(m, size, &old, &root, &proof).is_err());
            }
        }
    }
}
