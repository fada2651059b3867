//! RIFF chunk layout, made readable by `hound`.
//!
//! A RIFF chunk of odd size is followed by one pad byte, which its size does
//! not count (the RIFF specification). `hound` 3.5 skips an unknown chunk by
//! its size alone, so a correctly padded odd-sized chunk before the data
//! (a `LIST` of tags, say) makes it read the pad byte as the start of the next
//! chunk and refuse the file; some writers leave the pad byte out, which
//! `hound` happens to read. [`for_hound`] accepts both forms.

use std::borrow::Cow;

/// A plausible chunk ID: four printable ASCII characters.
fn chunk_id(b: Option<&[u8]>) -> bool {
    b.is_some_and(|b| b.len() == 4 && b.iter().all(|c| (0x20..=0x7e).contains(c)))
}

/// The WAV file `bytes` in a form `hound` reads: when a chunk before the
/// `data` chunk has an odd size (padded or not) or is a `fact` chunk of
/// unusual size, the file is rebuilt as the RIFF header, the `fmt ` chunk and
/// everything from the `data` chunk on; other files are returned as they
/// are. After an odd-sized chunk the pad byte is expected (a zero byte
/// followed by a chunk ID); where the next chunk ID starts right away, the
/// unpadded form is taken. Anything this cannot walk is returned unchanged
/// for `hound` to refuse with its own message.
pub fn for_hound(bytes: &[u8]) -> Cow<'_, [u8]> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Cow::Borrowed(bytes);
    }
    let mut pos = 12usize;
    let mut fmt: Option<&[u8]> = None;
    let mut rebuild = false;
    loop {
        let Some(header) = bytes.get(pos..pos + 8) else {
            return Cow::Borrowed(bytes);
        };
        let id = &header[0..4];
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if id == b"data" {
            let (true, Some(fmt)) = (rebuild, fmt) else {
                return Cow::Borrowed(bytes);
            };
            let mut out = Vec::with_capacity(12 + fmt.len() + bytes.len() - pos);
            out.extend_from_slice(b"RIFF\0\0\0\0WAVE");
            out.extend_from_slice(fmt);
            out.extend_from_slice(&bytes[pos..]);
            let riff_len = u32::try_from(out.len() - 8).unwrap_or(u32::MAX);
            out[4..8].copy_from_slice(&riff_len.to_le_bytes());
            return Cow::Owned(out);
        }
        let Some(end) = pos.checked_add(8).and_then(|p| p.checked_add(len)) else {
            return Cow::Borrowed(bytes);
        };
        match id {
            b"fmt " if fmt.is_none() => fmt = bytes.get(pos..end),
            b"fact" if len != 4 => rebuild = true,
            _ => {}
        }
        pos = if len % 2 == 1 {
            rebuild = true;
            let padded = bytes.get(end) == Some(&0) && chunk_id(bytes.get(end + 1..end + 5));
            if !padded && chunk_id(bytes.get(end..end + 4)) {
                end
            } else {
                end + 1
            }
        } else {
            end
        };
    }
}

#[cfg(test)]
mod tests {
    use super::for_hound;

    /// A short mono 16-bit WAV with an odd-sized `LIST` chunk before the
    /// data, with or without its pad byte.
    fn with_odd_chunk(padded: bool) -> (Vec<u8>, Vec<i16>) {
        let samples: Vec<i16> = (0..100).map(|i| (i * 300 - 15_000) as i16).collect();
        let plain = crate::encode_wav(&samples, 8_000).unwrap();
        let data = plain.windows(4).position(|w| w == b"data").unwrap();
        let mut out = plain[..data].to_vec();
        out.extend_from_slice(b"LIST\x03\0\0\0abc");
        if padded {
            out.push(0);
        }
        out.extend_from_slice(&plain[data..]);
        let riff_len = (out.len() - 8) as u32;
        out[4..8].copy_from_slice(&riff_len.to_le_bytes());
        (out, samples)
    }

    fn decode(bytes: &[u8]) -> Result<Vec<i16>, hound::Error> {
        hound::WavReader::new(std::io::Cursor::new(for_hound(bytes).into_owned()))?
            .into_samples::<i16>()
            .collect()
    }

    #[test]
    fn a_padded_odd_sized_chunk_was_refused_and_the_unpadded_one_accepted() {
        for padded in [true, false] {
            let (bytes, samples) = with_odd_chunk(padded);
            assert_eq!(decode(&bytes).unwrap(), samples, "padded: {padded}");
        }
        let (padded, _) = with_odd_chunk(true);
        assert!(
            hound::WavReader::new(std::io::Cursor::new(&padded[..]))
                .and_then(|r| r.into_samples::<i16>().collect::<Result<Vec<_>, _>>())
                .is_err(),
            "hound alone refuses the padded form (the bug this works around)"
        );
    }

    #[test]
    fn ordinary_files_pass_through_untouched() {
        let plain = crate::encode_wav(&[1, 2, 3], 8_000).unwrap();
        assert!(matches!(for_hound(&plain), std::borrow::Cow::Borrowed(_)));
        assert!(matches!(for_hound(b"RIFF"), std::borrow::Cow::Borrowed(_)));
    }
}
