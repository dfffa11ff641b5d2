//! Entry bundles (C2SP `tlog-tiles`, "Log entries"): up to 256 entries in
//! index order, each a big-endian u16 length followed by that many bytes.

/// The longest entry a bundle can hold.
pub const MAX_ENTRY: usize = u16::MAX as usize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("entry {entry} is {len} bytes, more than a bundle can hold (65,535)")]
    TooLong { entry: usize, len: usize },
    #[error("the bundle ends inside entry {entry} (expected {expected} entries)")]
    Truncated { entry: usize, expected: usize },
    #[error("the bundle has {bytes} byte(s) after its {expected} entries")]
    Trailing { bytes: usize, expected: usize },
}

/// Writes `entries` as a bundle.
pub fn encode<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    for (entry, bytes) in entries.into_iter().enumerate() {
        let len = u16::try_from(bytes.len()).map_err(|_| BundleError::TooLong { entry, len: bytes.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// Reads a bundle of exactly `expected` entries: a bundle that ends early
/// or goes on after them is refused.
pub fn decode(bytes: &[u8], expected: usize) -> Result<Vec<&[u8]>, BundleError> {
    let mut out = Vec::with_capacity(expected);
    let mut rest = bytes;
    for entry in 0..expected {
        let truncated = BundleError::Truncated { entry, expected };
        let (len, tail) = rest.split_first_chunk::<2>().ok_or(truncated.clone())?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(truncated);
        }
        let (item, tail) = tail.split_at(len);
        out.push(item);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(BundleError::Trailing { bytes: rest.len(), expected });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The study's example (§1.3).
    #[test]
    fn entries_are_length_prefixed() {
        let bundle = encode([b"ab".as_slice(), b"".as_slice()]).unwrap();
        assert_eq!(bundle, [0, 2, b'a', b'b', 0, 0]);
        assert_eq!(decode(&bundle, 2).unwrap(), [b"ab".as_slice(), b"".as_slice()]);
    }

    #[test]
    fn short_or_long_bundles_are_refused() {
        let bundle = encode([b"ab".as_slice(), b"c".as_slice()]).unwrap();
        assert_eq!(decode(&bundle, 3), Err(BundleError::Truncated { entry: 2, expected: 3 }));
        assert_eq!(decode(&bundle[..5], 2), Err(BundleError::Truncated { entry: 1, expected: 2 }));
        assert_eq!(decode(&bundle[..4], 2), Err(BundleError::Truncated { entry: 1, expected: 2 }));
        assert_eq!(decode(&bundle[..1], 1), Err(BundleError::Truncated { entry: 0, expected: 1 }));
        assert_eq!(decode(&bundle, 1), Err(BundleError::Trailing { bytes: 3, expected: 1 }));
        assert_eq!(decode(&[], 0), Ok(vec![]));
        let long = vec![0; MAX_ENTRY + 1];
        assert_eq!(encode([long.as_slice()]), Err(BundleError::TooLong { entry: 0, len: MAX_ENTRY + 1 }));
        assert!(encode([vec![0; MAX_ENTRY].as_slice()]).is_ok());
    }

    proptest! {
        #[test]
        fn bundles_read_back_as_written(entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..20)) {
            let bundle = encode(entries.iter().map(Vec::as_slice)).unwrap();
            let back = decode(&bundle, entries.len()).unwrap();
            prop_assert_eq!(back, entries.iter().map(Vec::as_slice).collect::<Vec<_>>());
        }

        #[test]
        fn no_bytes_make_decoding_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), n in 0usize..8) {
            let _ = decode(&bytes, n);
        }
    }
}
