// SPDX-License-Identifier: GPL-2.0

//! Property tests for TCP header parsing and emission.

use proptest::prelude::*;
use rust_tcp_proto::checksum::tcp_v4_verify;
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::tcp_hdr::{
    emit, parse, parse_options, ParseError, SackBlocks, TcpFlags, TcpOptions, TcpRepr, HEADER_LEN,
    MAX_OPTIONS_LEN, MAX_WSCALE,
};

fn options() -> impl Strategy<Value = TcpOptions> {
    (
        any::<Option<u16>>(),
        prop::option::of(0..=MAX_WSCALE),
        any::<bool>(),
        any::<Option<(u32, u32)>>(),
        prop::collection::vec(any::<(u32, u32)>(), 0..=4),
    )
        .prop_map(|(mss, wscale, sack_perm, timestamp, blocks)| {
            let mut o = TcpOptions {
                mss,
                wscale,
                sack_perm,
                timestamp,
                ..TcpOptions::new()
            };
            // Keep only as many blocks as fit next to the other options.
            for (s, e) in blocks.into_iter().take(o.sack_room()) {
                assert!(o.sack_blocks.push((SeqNum(s), SeqNum(e))));
            }
            o
        })
}

fn repr() -> impl Strategy<Value = TcpRepr> {
    (any::<(u16, u16, u32, u32, u8, u16, u16)>(), options()).prop_map(
        |((sp, dp, seq, ack, flags, win, urg), options)| TcpRepr {
            src_port: sp,
            dst_port: dp,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags: TcpFlags(flags),
            window: win,
            urgent: urg,
            options,
        },
    )
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..1600)
}

fn emitted(repr: &TcpRepr, saddr: [u8; 4], daddr: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; repr.header_len() + payload.len()];
    let n = emit(repr, saddr, daddr, payload, &mut buf).expect("valid repr must emit");
    assert_eq!(n, buf.len());
    buf
}

/// Straight transcription of the *algorithm* of Linux's
/// tcp_parse_options() (index arithmetic, signed remaining length), with
/// its silent "return" on a malformed option mapped to BadOption and every
/// option recorded regardless of SYN/state. Used as an oracle.
fn linux_model(area: &[u8]) -> Result<TcpOptions, ParseError> {
    let mut o = TcpOptions::new();
    let mut i = 0usize;
    let mut length = area.len() as isize;
    while length > 0 {
        let opcode = area[i];
        i += 1;
        match opcode {
            0 => return Ok(o),
            1 => {
                length -= 1;
                continue;
            }
            _ => {}
        }
        if length < 2 {
            return Err(ParseError::BadOption);
        }
        let opsize = area[i] as isize;
        i += 1;
        if opsize < 2 || opsize > length {
            return Err(ParseError::BadOption);
        }
        let d = &area[i..i + (opsize as usize - 2)];
        match opcode {
            2 if opsize == 4 => o.mss = Some(u16::from_be_bytes([d[0], d[1]])),
            3 if opsize == 3 => {
                o.wscale = Some(d[0].min(14));
                o.wscale_clamped = d[0] > 14;
            }
            8 if opsize == 10 => {
                o.timestamp = Some((
                    u32::from_be_bytes(d[0..4].try_into().unwrap()),
                    u32::from_be_bytes(d[4..8].try_into().unwrap()),
                ));
            }
            4 if opsize == 2 => o.sack_perm = true,
            5 if opsize >= 10 && (opsize - 2) % 8 == 0 => {
                let mut s = SackBlocks::new();
                for b in d.chunks(8).take(4) {
                    let st = u32::from_be_bytes(b[0..4].try_into().unwrap());
                    let en = u32::from_be_bytes(b[4..8].try_into().unwrap());
                    assert!(s.push((SeqNum(st), SeqNum(en))));
                }
                o.sack_blocks = s;
            }
            _ => {}
        }
        i += opsize as usize - 2;
        length -= opsize;
    }
    Ok(o)
}

/// Option areas biased towards option-like content so that interesting
/// paths (valid options, near-miss lengths) are hit often.
fn option_area() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(vec![1]),
        Just(vec![0]),
        (
            prop::sample::select(vec![2u8, 3, 4, 5, 8, 30, 254]),
            0u8..42
        )
            .prop_flat_map(|(k, l)| {
                prop::collection::vec(any::<u8>(), usize::from(l.saturating_sub(2))).prop_map(
                    move |body| {
                        let mut v = vec![k, l];
                        v.extend(body);
                        v
                    },
                )
            }),
    ];
    (prop::collection::vec(token, 0..12), 0usize..=10).prop_map(|(toks, words)| {
        let mut v: Vec<u8> = toks.concat();
        v.resize(words * 4, 0);
        v
    })
}

proptest! {
    #[test]
    fn emit_then_parse_roundtrips(
        r in repr(),
        data in payload(),
        saddr: [u8; 4],
        daddr: [u8; 4],
    ) {
        let wire = emitted(&r, saddr, daddr, &data);
        prop_assert_eq!(wire.len() % 4, data.len() % 4);
        prop_assert!(r.options_len() <= MAX_OPTIONS_LEN);
        let seg = parse(&wire).unwrap();
        prop_assert_eq!(seg.repr(), r);
        prop_assert_eq!(seg.payload, &data[..]);
        prop_assert_eq!(seg.header_len, r.header_len());
        prop_assert_eq!(usize::from(wire[12] >> 4) * 4, r.header_len());
        prop_assert!(tcp_v4_verify(saddr, daddr, &wire));
        // Re-emitting the parsed view reproduces the bytes.
        prop_assert_eq!(emitted(&seg.repr(), saddr, daddr, seg.payload), wire);
    }

    #[test]
    fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..120)) {
        if let Ok(seg) = parse(&bytes) {
            prop_assert!(seg.header_len >= HEADER_LEN && seg.header_len <= bytes.len());
            prop_assert_eq!(seg.payload.len(), bytes.len() - seg.header_len);
        }
    }

    #[test]
    fn every_header_truncation_is_rejected(r in repr(), data in payload()) {
        let wire = emitted(&r, [1, 2, 3, 4], [5, 6, 7, 8], &data);
        for cut in 0..r.header_len() {
            prop_assert_eq!(parse(&wire[..cut]), Err(ParseError::Truncated));
        }
        // Truncating only the payload still parses, with the payload cut.
        for cut in r.header_len()..=wire.len().min(r.header_len() + 8) {
            let seg = parse(&wire[..cut]).unwrap();
            prop_assert_eq!(seg.payload, &data[..cut - r.header_len()]);
        }
    }

    #[test]
    fn arbitrary_options_parse_or_bad_option(
        fixed in prop::collection::vec(any::<u8>(), HEADER_LEN),
        words in 0usize..=10,
        fill in prop::collection::vec(any::<u8>(), MAX_OPTIONS_LEN),
        tail in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut seg = fixed;
        seg[12] = (((5 + words) as u8) << 4) | (seg[12] & 0x0f);
        seg.extend_from_slice(&fill[..words * 4]);
        seg.extend_from_slice(&tail);
        match parse(&seg) {
            Ok(s) => prop_assert_eq!(s.payload, &tail[..]),
            Err(e) => prop_assert_eq!(e, ParseError::BadOption),
        }
    }

    #[test]
    fn option_walk_matches_linux_model(area in option_area()) {
        prop_assert_eq!(parse_options(&area), linux_model(&area));
    }

    #[test]
    fn random_option_bytes_match_linux_model(
        area in prop::collection::vec(any::<u8>(), 0..=MAX_OPTIONS_LEN),
    ) {
        prop_assert_eq!(parse_options(&area), linux_model(&area));
    }
}
