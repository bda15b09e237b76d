// SPDX-License-Identifier: GPL-2.0

//! Property tests for sequence-number arithmetic.

use proptest::prelude::*;
use rust_tcp_proto::seq::{after, before, between, SeqNum};

proptest! {
    #[test]
    fn add_then_sub_is_identity(a: u32, n: u32) {
        let s = SeqNum(a);
        prop_assert_eq!((s + n) - n, s);
        prop_assert_eq!((s + n) - s, n as i32);
    }

    #[test]
    fn before_after_are_mirror_images(a: u32, b: u32) {
        let (x, y) = (SeqNum(a), SeqNum(b));
        prop_assert_eq!(before(x, y), after(y, x));
        prop_assert_eq!(x.before(y), (a.wrapping_sub(b) as i32) < 0);
        if a.wrapping_sub(b) != 1 << 31 {
            // Outside the exact half-way point the order is antisymmetric.
            prop_assert!(!(x.before(y) && y.before(x)));
            prop_assert_eq!(x.before(y) || y.before(x), a != b);
        } else {
            prop_assert!(x.before(y) && y.before(x));
        }
    }

    #[test]
    fn short_forward_steps_are_after(a: u32, n in 1u32..(1 << 31)) {
        let s = SeqNum(a);
        prop_assert!((s + n).after(s));
        prop_assert!(s.before(s + n));
        prop_assert!((s - n).before(s));
    }

    #[test]
    fn between_is_forward_arc(s: u32, lo: u32, len: u32) {
        let hi = lo.wrapping_add(len);
        let off = s.wrapping_sub(lo);
        prop_assert_eq!(between(SeqNum(s), SeqNum(lo), SeqNum(hi)), off <= len);
        prop_assert!(SeqNum(lo).between(SeqNum(lo), SeqNum(hi)));
        prop_assert!(SeqNum(hi).between(SeqNum(lo), SeqNum(hi)));
    }
}
