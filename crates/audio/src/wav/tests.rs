//! The reader and the writer: round trips through every encoding, the chunk
//! layouts writers produce, and refusals that name what was wrong.

use super::*;
use proptest::prelude::*;

fn ramp(n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| (i as i32 * 977 % 65_536 - 32_768) as i16)
        .collect()
}

/// A WAV file made by hand: RIFF header, the given chunks, in order.
fn riff(chunks: &[(&[u8; 4], &[u8])], pad: bool) -> Vec<u8> {
    let mut v = b"RIFF\0\0\0\0WAVE".to_vec();
    for (id, body) in chunks {
        v.extend_from_slice(*id);
        v.extend_from_slice(&(body.len() as u32).to_le_bytes());
        v.extend_from_slice(body);
        if pad && body.len() % 2 == 1 {
            v.push(0);
        }
    }
    let n = (v.len() - 8) as u32;
    v[4..8].copy_from_slice(&n.to_le_bytes());
    v
}

fn fmt16(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
    let align = channels * bits / 8;
    let mut f = Vec::new();
    f.extend_from_slice(&tag.to_le_bytes());
    f.extend_from_slice(&channels.to_le_bytes());
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
    f.extend_from_slice(&align.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    f
}

fn le16(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

#[test]
fn mono16_is_the_plain_44_byte_layout() {
    let s = ramp(1000);
    let bytes = encode(&Spec::mono16(8000), &s).unwrap();
    assert_eq!(bytes.len(), 44 + 2000);
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(u32_at(&bytes, 4) as usize, bytes.len() - 8);
    assert_eq!(&bytes[8..16], b"WAVEfmt ");
    assert_eq!(u32_at(&bytes, 16), 16);
    assert_eq!(bytes[20..36], fmt16(1, 1, 8000, 16)[..]);
    assert_eq!(&bytes[36..40], b"data");
    assert_eq!(u32_at(&bytes, 40), 2000);
    let wav = parse(&bytes).unwrap();
    assert_eq!(wav.spec(), Spec::mono16(8000));
    assert!(wav.spec().is_mono16());
    assert_eq!(wav.frames(), 1000);
    assert_eq!(wav.to_i16(), s);
    assert_eq!(wav.data(), &le16(&s)[..]);
}

#[test]
fn every_encoding_round_trips_through_the_writer_and_the_reader() {
    let s = ramp(3 * 401);
    let extremes = [i16::MIN, -1, 0, 1, i16::MAX, 12_345];
    for channels in [1u16, 2, 3] {
        for (bits, encoding) in [
            (8, Encoding::Int),
            (16, Encoding::Int),
            (24, Encoding::Int),
            (32, Encoding::Int),
            (32, Encoding::Float),
            (8, Encoding::ALaw),
            (8, Encoding::MuLaw),
        ] {
            let spec = Spec {
                channels,
                rate: 11_025,
                bits,
                encoding,
            };
            let n = s.len() - s.len() % usize::from(channels);
            let bytes = encode(&spec, &s[..n]).unwrap();
            assert_eq!(bytes.len() % 2, 0, "{spec}: padded to an even size");
            let wav = parse(&bytes).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(wav.spec(), spec);
            assert_eq!(wav.frames(), n / usize::from(channels), "{spec}");
            let back = wav.to_i16();
            let mut blocks = wav.i16_blocks(100);
            let mut joined = Vec::new();
            while let Some(b) = blocks.next_block() {
                assert!(
                    b.len() <= 100 * usize::from(channels) && b.len() % usize::from(channels) == 0
                );
                joined.extend_from_slice(b);
            }
            assert_eq!(joined, back, "{spec}: blocks");
            let want: Vec<i16> = match (encoding, bits) {
                (Encoding::Int, 8) => s[..n].iter().map(|&x| x & !0xFF).collect(),
                (Encoding::ALaw, _) => s[..n]
                    .iter()
                    .map(|&x| g711::alaw_to_linear(g711::linear_to_alaw(x)))
                    .collect(),
                (Encoding::MuLaw, _) => s[..n]
                    .iter()
                    .map(|&x| g711::ulaw_to_linear(g711::linear_to_ulaw(x)))
                    .collect(),
                _ => s[..n].to_vec(),
            };
            assert_eq!(back, want, "{spec}");
            let f = wav.to_f32();
            assert_eq!(f.len(), n);
            for (a, b) in f.iter().zip(&want) {
                assert!(
                    (a - f32::from(*b) / 32_768.0).abs() < 1e-6,
                    "{spec}: {a} {b}"
                );
            }
            if channels == 1 && encoding != Encoding::ALaw && encoding != Encoding::MuLaw {
                let e = parse(&encode(&spec, &extremes).unwrap()).unwrap().to_i16();
                if bits > 8 {
                    assert_eq!(e, extremes, "{spec}");
                }
            }
        }
    }
}

#[test]
fn the_writer_uses_extensible_for_wide_or_many_channel_pcm() {
    for (channels, bits, ext) in [(1, 16, false), (2, 16, false), (3, 16, true), (1, 24, true)] {
        let spec = Spec {
            channels,
            rate: 8000,
            bits,
            encoding: Encoding::Int,
        };
        let bytes = encode(&spec, &vec![7; usize::from(channels) * 5]).unwrap();
        assert_eq!(u16_at(&bytes, 20) == TAG_EXTENSIBLE, ext, "{spec}");
    }
    let float = encode(
        &Spec {
            encoding: Encoding::Float,
            bits: 32,
            ..Spec::mono16(8000)
        },
        &[1, 2, 3],
    )
    .unwrap();
    assert_eq!(&float[38..42], b"fact");
    assert_eq!(u32_at(&float, 46), 3, "fact holds the frame count");
}

#[test]
fn odd_sized_chunks_are_read_with_or_without_their_pad_byte() {
    let s = ramp(100);
    let fmt = fmt16(1, 1, 8000, 16);
    for pad in [true, false] {
        let bytes = riff(
            &[
                (b"fmt ", &fmt),
                (b"LIST", b"abc"),
                (b"fact", b"\x01\x02\x03\x04\x05"),
                (b"data", &le16(&s)),
            ],
            pad,
        );
        let wav = parse(&bytes).unwrap_or_else(|e| panic!("pad {pad}: {e}"));
        assert_eq!(wav.to_i16(), s, "pad {pad}");
        // And an odd chunk before the fmt chunk.
        let bytes = riff(
            &[(b"junk", b"x"), (b"fmt ", &fmt), (b"data", &le16(&s))],
            pad,
        );
        assert_eq!(parse(&bytes).unwrap().to_i16(), s, "pad {pad}");
    }
}

#[test]
fn chunks_writers_add_are_skipped() {
    let s = ramp(64);
    let fmt = fmt16(1, 1, 16_000, 16);
    // A fact chunk of an unusual size, a cue list, a second fmt chunk (ignored),
    // and chunks after the data (never read).
    let bytes = riff(
        &[
            (b"fact", &[0; 12]),
            (b"fmt ", &fmt),
            (b"cue ", &[0; 28]),
            (b"fmt ", &fmt16(1, 2, 44_100, 16)),
            (b"data", &le16(&s)),
            (b"LIST", b"trailing"),
        ],
        true,
    );
    let wav = parse(&bytes).unwrap();
    assert_eq!(wav.spec(), Spec::mono16(16_000));
    assert_eq!(wav.to_i16(), s);
    // WAVEFORMATEX with cbSize and extra bytes.
    let mut ex = fmt.clone();
    ex.extend_from_slice(&[2, 0, 0xAB, 0xCD]);
    let bytes = riff(&[(b"fmt ", &ex), (b"data", &le16(&s))], true);
    assert_eq!(parse(&bytes).unwrap().to_i16(), s);
}

fn extensible(subtag: u16, channels: u16, bits: u16, valid: u16) -> Vec<u8> {
    let mut f = fmt16(TAG_EXTENSIBLE, channels, 48_000, bits);
    f.extend_from_slice(&22u16.to_le_bytes());
    f.extend_from_slice(&valid.to_le_bytes());
    f.extend_from_slice(&3u32.to_le_bytes());
    f.extend_from_slice(&subtag.to_le_bytes());
    f.extend_from_slice(&GUID_SUFFIX);
    f
}

#[test]
fn wave_format_extensible_is_read_through_its_subformat() {
    let s = ramp(20);
    let bytes = riff(
        &[(b"fmt ", &extensible(1, 2, 16, 16)), (b"data", &le16(&s))],
        true,
    );
    let wav = parse(&bytes).unwrap();
    assert_eq!(
        wav.spec(),
        Spec {
            channels: 2,
            rate: 48_000,
            bits: 16,
            encoding: Encoding::Int
        }
    );
    assert_eq!(wav.to_i16(), s);
    let floats: Vec<u8> = [0.5f32, -0.25]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect();
    let bytes = riff(
        &[(b"fmt ", &extensible(3, 1, 32, 32)), (b"data", &floats)],
        true,
    );
    assert_eq!(parse(&bytes).unwrap().to_i16(), vec![16_384, -8_192]);
    // 24 valid bits in a 32-bit container: read as 32-bit.
    let bytes = riff(
        &[
            (b"fmt ", &extensible(1, 1, 32, 24)),
            (b"data", &[0, 0, 0x34, 0x12]),
        ],
        true,
    );
    assert_eq!(parse(&bytes).unwrap().to_i16(), vec![0x1234]);

    let mut odd_guid = extensible(1, 1, 16, 16);
    odd_guid[39] ^= 1;
    let e = parse(&riff(&[(b"fmt ", &odd_guid), (b"data", &[0; 4])], true)).unwrap_err();
    assert!(e.to_string().contains("unknown subformat"), "{e}");
    let e = parse(&riff(
        &[(b"fmt ", &extensible(1, 1, 16, 20)), (b"data", &[0; 4])],
        true,
    ))
    .unwrap_err();
    assert!(
        e.to_string().contains("20 valid bits in a 16-bit sample"),
        "{e}"
    );
    let short = &extensible(1, 1, 16, 16)[..30];
    let e = parse(&riff(&[(b"fmt ", short), (b"data", &[0; 4])], true)).unwrap_err();
    assert!(
        e.to_string().contains("WAVE_FORMAT_EXTENSIBLE in 30 bytes"),
        "{e}"
    );
}

#[test]
fn a_data_chunk_of_unknown_length_reads_to_the_end() {
    let s = ramp(50);
    let mut bytes = encode(&Spec::mono16(8000), &s).unwrap();
    bytes[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes.push(0x55); // a partial frame at the end is dropped
    assert_eq!(parse(&bytes).unwrap().to_i16(), s);
}

#[test]
fn refusals_say_what_was_wrong() {
    let s = le16(&ramp(10));
    let check = |bytes: &[u8], want: &str| {
        let e = parse(bytes).expect_err(want).to_string();
        assert!(e.contains(want), "want {want:?}, got {e:?}");
        assert!(!e.contains('\n'), "{e}");
    };
    check(b"", "not a usable WAV file (no RIFF/WAVE header)");
    check(b"hello, not audio", "no RIFF/WAVE header");
    check(b"RIFF....not really", "no RIFF/WAVE header");
    check(b"RIFF\0\0\0\0WAVE", "no data chunk");
    check(
        &riff(&[(b"fmt ", &fmt16(1, 1, 8000, 16))], true),
        "no data chunk",
    );
    check(
        &riff(&[(b"data", &s)], true),
        "no fmt chunk before the data",
    );
    check(
        &riff(&[(b"fmt ", &[1, 0, 1, 0]), (b"data", &s)], true),
        "4 bytes long; at least 16",
    );
    check(
        &riff(&[(b"fmt ", &fmt16(1, 0, 8000, 16)), (b"data", &s)], true),
        "0 channels",
    );
    check(
        &riff(&[(b"fmt ", &fmt16(1, 1, 0, 16)), (b"data", &s)], true),
        "0 Hz",
    );
    check(
        &riff(&[(b"fmt ", &fmt16(1, 1, 8000, 12)), (b"data", &s)], true),
        "12-bit PCM",
    );
    check(
        &riff(&[(b"fmt ", &fmt16(3, 1, 8000, 64)), (b"data", &s)], true),
        "64-bit float",
    );
    check(
        &riff(&[(b"fmt ", &fmt16(2, 1, 8000, 4)), (b"data", &s)], true),
        "(ADPCM;",
    );
    check(
        &riff(&[(b"fmt ", &fmt16(0x55, 1, 8000, 0)), (b"data", &s)], true),
        "(MP3;",
    );
    check(
        &riff(
            &[(b"fmt ", &fmt16(0x1234, 1, 8000, 16)), (b"data", &s)],
            true,
        ),
        "format tag 0x1234",
    );
    let mut misaligned = fmt16(1, 2, 8000, 16);
    misaligned[12] = 2;
    check(
        &riff(&[(b"fmt ", &misaligned), (b"data", &s)], true),
        "block align 2 does not match 2 channel(s) of 16 bits",
    );
    // A data chunk longer than the file, and a chunk running past the end.
    let mut truncated = encode(&Spec::mono16(8000), &ramp(50)).unwrap();
    truncated.truncate(44 + 49);
    check(
        &truncated,
        "corrupt or truncated audio data (the data chunk promises 100 bytes, the file holds 49)",
    );
    let mut long_list = riff(&[(b"fmt ", &fmt16(1, 1, 8000, 16)), (b"LIST", b"ab")], true);
    long_list[40..44].copy_from_slice(&1000u32.to_le_bytes());
    check(&long_list, "no data chunk");
    let mut long_fmt = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    long_fmt.extend_from_slice(&100u32.to_le_bytes());
    long_fmt.extend_from_slice(&[0; 20]);
    check(
        &long_fmt,
        "fmt chunk: 100 bytes long, past the end of the file",
    );
}

#[test]
fn the_writer_refuses_what_it_cannot_store() {
    let e = encode(
        &Spec {
            channels: 2,
            ..Spec::mono16(8000)
        },
        &[1, 2, 3],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "3 samples are not a whole number of 2-channel frames"
    );
    let e = encode(
        &Spec {
            bits: 12,
            ..Spec::mono16(8000)
        },
        &[1],
    )
    .unwrap_err();
    assert!(matches!(e, WavErrorKind::Unsupported { .. }), "{e}");
    let e = encode(
        &Spec {
            rate: 0,
            ..Spec::mono16(8000)
        },
        &[1],
    )
    .unwrap_err();
    assert!(matches!(e, WavErrorKind::BadFormat { .. }), "{e}");
    // An empty file is a valid WAV file.
    assert_eq!(
        parse(&encode(&Spec::mono16(8000), &[]).unwrap())
            .unwrap()
            .frames(),
        0
    );
}

#[test]
fn file_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("actline-audio-wav-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ok = dir.join("ok.wav");
    write(&ok, &Spec::mono16(16_000), &ramp(10)).unwrap();
    assert_eq!(read(&ok).unwrap().to_i16(), ramp(10));
    let junk = dir.join("junk.wav");
    std::fs::write(&junk, "text").unwrap();
    let e = read(&junk).unwrap_err();
    assert_eq!(e.path(), junk);
    assert!(matches!(e.kind(), WavErrorKind::NotWave));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: not a usable WAV file (no RIFF/WAVE header)",
            junk.display()
        )
    );
    let e = read("/nonexistent/dir/x.wav").unwrap_err().to_string();
    assert!(e.starts_with("/nonexistent/dir/x.wav: "), "{e}");
    let e = write("/nonexistent/dir/y.wav", &Spec::mono16(8000), &[]).unwrap_err();
    assert!(matches!(e.kind(), WavErrorKind::Io(_)));
    assert!(e.to_string().starts_with("/nonexistent/dir/y.wav: "), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spec_reads_like_a_sentence() {
    assert_eq!(Spec::mono16(8000).to_string(), "mono 16-bit PCM at 8000 Hz");
    let s = Spec {
        channels: 2,
        rate: 44_100,
        bits: 32,
        encoding: Encoding::Float,
    };
    assert_eq!(s.to_string(), "stereo 32-bit float at 44100 Hz");
    let s = Spec {
        channels: 6,
        bits: 8,
        encoding: Encoding::ALaw,
        ..s
    };
    assert_eq!(s.to_string(), "6-channel 8-bit A-law at 44100 Hz");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_are_parsed_or_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(w) = parse(&bytes) {
            let _ = (w.to_i16(), w.to_f32(), w.frames());
        }
    }

    #[test]
    fn damaged_files_are_parsed_or_refused_without_panicking(
        channels in 1u16..4,
        which in 0usize..7,
        edits in proptest::collection::vec((0usize..200, any::<u8>()), 1..8),
        cut in 0usize..400,
    ) {
        let (bits, encoding) = [
            (8, Encoding::Int), (16, Encoding::Int), (24, Encoding::Int), (32, Encoding::Int),
            (32, Encoding::Float), (8, Encoding::ALaw), (8, Encoding::MuLaw),
        ][which];
        let spec = Spec { channels, rate: 8000, bits, encoding };
        let mut bytes = encode(&spec, &ramp(usize::from(channels) * 33)).unwrap();
        for (at, b) in edits {
            if let Some(x) = bytes.get_mut(at) {
                *x = b;
            }
        }
        bytes.truncate(cut.max(1));
        if let Ok(w) = parse(&bytes) {
            let n = w.to_i16().len();
            prop_assert_eq!(n, w.to_f32().len());
            prop_assert_eq!(n, w.frames() * usize::from(w.spec().channels));
        }
    }
}
