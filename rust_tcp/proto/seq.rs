// SPDX-License-Identifier: GPL-2.0

//! TCP sequence numbers and their modulo-2^32 comparisons.
//!
//! Sequence numbers live on a circle of 2^32 values, so there is no total
//! order: `a` is "before" `b` when `b` can be reached from `a` by moving
//! forward less than 2^31 steps. [`SeqNum`] therefore deliberately does *not*
//! implement [`PartialOrd`]/[`Ord`]; use [`SeqNum::before`],
//! [`SeqNum::after`] and [`SeqNum::between`] (or the free functions of the
//! same names), which behave exactly like Linux's `before()`, `after()` and
//! `between()` from `include/net/tcp.h`.

use core::ops::{Add, AddAssign, Sub, SubAssign};

/// A TCP sequence (or acknowledgment) number.
///
/// Arithmetic with `u32` offsets wraps modulo 2^32. Subtracting two
/// sequence numbers yields the signed distance as an `i32` (see
/// [`SeqNum::distance`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[repr(transparent)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// Wraps a raw 32-bit sequence number.
    #[inline]
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// Returns the raw 32-bit value (host order).
    #[inline]
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Signed distance `self - other`, i.e. how far `self` lies ahead of
    /// `other` (negative when it lies behind).
    ///
    /// This is Linux's `(s32)(seq1 - seq2)`. Two numbers exactly 2^31 apart
    /// give `i32::MIN` whichever way round they are subtracted, which makes
    /// each one "before" the other; that matches Linux.
    #[inline]
    pub const fn distance(self, other: SeqNum) -> i32 {
        // Reinterpreting the wrapped difference as two's complement is the
        // whole point of serial-number arithmetic, hence the plain cast.
        self.0.wrapping_sub(other.0) as i32
    }

    /// `self + n`, modulo 2^32.
    #[inline]
    pub const fn wrapping_add(self, n: u32) -> Self {
        Self(self.0.wrapping_add(n))
    }

    /// `self - n`, modulo 2^32.
    #[inline]
    pub const fn wrapping_sub(self, n: u32) -> Self {
        Self(self.0.wrapping_sub(n))
    }

    /// True when `self` comes strictly before `other` (Linux `before()`).
    #[inline]
    pub const fn before(self, other: SeqNum) -> bool {
        self.distance(other) < 0
    }

    /// True when `self` comes strictly after `other` (Linux `after()`).
    #[inline]
    pub const fn after(self, other: SeqNum) -> bool {
        other.before(self)
    }

    /// True when `self` is before or equal to `other` (Linux `!after()`).
    #[inline]
    pub const fn before_eq(self, other: SeqNum) -> bool {
        !self.after(other)
    }

    /// True when `self` is after or equal to `other` (Linux `!before()`).
    #[inline]
    pub const fn after_eq(self, other: SeqNum) -> bool {
        !self.before(other)
    }

    /// True when `lo <= self <= hi` walking forward from `lo` (Linux
    /// `between(self, lo, hi)`).
    ///
    /// Unlike `before`/`after` this is not limited to half the sequence
    /// space: it tests whether `self` lies on the forward arc from `lo` to
    /// `hi`, both ends included. If `hi` is before `lo` the arc wraps past
    /// 2^32.
    #[inline]
    pub const fn between(self, lo: SeqNum, hi: SeqNum) -> bool {
        hi.0.wrapping_sub(lo.0) >= self.0.wrapping_sub(lo.0)
    }

    /// The later of the two numbers in serial-number order (`self` on a tie
    /// or when they are exactly 2^31 apart).
    #[inline]
    pub const fn max_seq(self, other: SeqNum) -> SeqNum {
        if other.after(self) {
            other
        } else {
            self
        }
    }

    /// The earlier of the two numbers in serial-number order (`self` on a
    /// tie or when they are exactly 2^31 apart).
    #[inline]
    pub const fn min_seq(self, other: SeqNum) -> SeqNum {
        if other.before(self) {
            other
        } else {
            self
        }
    }
}

/// Linux `before(seq1, seq2)`: `(s32)(seq1 - seq2) < 0`.
#[inline]
pub const fn before(seq1: SeqNum, seq2: SeqNum) -> bool {
    seq1.before(seq2)
}

/// Linux `after(seq2, seq1)`: `seq2` comes strictly after `seq1`.
#[inline]
pub const fn after(seq2: SeqNum, seq1: SeqNum) -> bool {
    seq2.after(seq1)
}

/// Linux `between(seq1, seq2, seq3)`: is `seq2 <= seq1 <= seq3`, computed as
/// `seq3 - seq2 >= seq1 - seq2` in 32-bit unsigned arithmetic.
#[inline]
pub const fn between(seq1: SeqNum, seq2: SeqNum, seq3: SeqNum) -> bool {
    seq1.between(seq2, seq3)
}

impl From<u32> for SeqNum {
    #[inline]
    fn from(raw: u32) -> Self {
        Self(raw)
    }
}

impl From<SeqNum> for u32 {
    #[inline]
    fn from(s: SeqNum) -> Self {
        s.0
    }
}

impl Add<u32> for SeqNum {
    type Output = SeqNum;

    /// Wrapping addition: sequence space is modulo 2^32.
    #[inline]
    fn add(self, n: u32) -> SeqNum {
        self.wrapping_add(n)
    }
}

impl AddAssign<u32> for SeqNum {
    #[inline]
    fn add_assign(&mut self, n: u32) {
        *self = self.wrapping_add(n);
    }
}

impl Sub<u32> for SeqNum {
    type Output = SeqNum;

    /// Wrapping subtraction: sequence space is modulo 2^32.
    #[inline]
    fn sub(self, n: u32) -> SeqNum {
        self.wrapping_sub(n)
    }
}

impl SubAssign<u32> for SeqNum {
    #[inline]
    fn sub_assign(&mut self, n: u32) {
        *self = self.wrapping_sub(n);
    }
}

impl Sub<SeqNum> for SeqNum {
    type Output = i32;

    /// Signed distance, see [`SeqNum::distance`].
    #[inline]
    fn sub(self, other: SeqNum) -> i32 {
        self.distance(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALF: u32 = 1 << 31;

    fn s(v: u32) -> SeqNum {
        SeqNum(v)
    }

    #[test]
    fn wrapping_arithmetic() {
        assert_eq!(s(u32::MAX) + 1, s(0));
        assert_eq!(s(u32::MAX) + 2, s(1));
        assert_eq!(s(0) - 1, s(u32::MAX));
        let mut x = s(u32::MAX - 1);
        x += 5;
        assert_eq!(x, s(3));
        x -= 4;
        assert_eq!(x, s(u32::MAX));
        assert_eq!(s(5) - s(3), 2);
        assert_eq!(s(3) - s(5), -2);
        assert_eq!(s(2) - s(u32::MAX), 3);
        assert_eq!(s(u32::MAX) - s(2), -3);
    }

    #[test]
    fn before_after_across_zero() {
        assert!(s(u32::MAX).before(s(0)));
        assert!(s(0).after(s(u32::MAX)));
        assert!(s(u32::MAX - 10).before(s(10)));
        assert!(!s(10).before(s(u32::MAX - 10)));
        assert!(!s(7).before(s(7)));
        assert!(!s(7).after(s(7)));
        assert!(s(7).before_eq(s(7)) && s(7).after_eq(s(7)));
    }

    #[test]
    fn before_after_at_half_space() {
        // Just under half the space ahead: still "after".
        assert!(s(HALF - 1).after(s(0)));
        assert!(s(0).before(s(HALF - 1)));
        // Exactly 2^31 apart: (s32)(a-b) == i32::MIN for both orders, so
        // Linux considers each before the other.
        assert!(s(0).before(s(HALF)));
        assert!(s(HALF).before(s(0)));
        // ...and consequently each also after the other.
        assert!(s(0).after(s(HALF)));
        assert!(s(HALF).after(s(0)));
        assert_eq!(s(0) - s(HALF), i32::MIN);
        assert_eq!(s(HALF) - s(0), i32::MIN);
        // Just over half: wraps around, the larger raw value is "before".
        assert!(s(HALF + 1).before(s(0)));
        assert!(s(0).after(s(HALF + 1)));
    }

    #[test]
    fn free_functions_match_methods() {
        assert!(before(s(1), s(2)));
        assert!(after(s(2), s(1)));
        assert!(between(s(5), s(5), s(5)));
        assert!(between(s(0), s(u32::MAX), s(1)));
    }

    #[test]
    fn between_inclusive_and_wrapping() {
        assert!(s(10).between(s(10), s(20)));
        assert!(s(20).between(s(10), s(20)));
        assert!(s(15).between(s(10), s(20)));
        assert!(!s(9).between(s(10), s(20)));
        assert!(!s(21).between(s(10), s(20)));
        // Arc that wraps past 2^32.
        assert!(s(u32::MAX).between(s(u32::MAX - 5), s(5)));
        assert!(s(0).between(s(u32::MAX - 5), s(5)));
        assert!(s(5).between(s(u32::MAX - 5), s(5)));
        assert!(!s(6).between(s(u32::MAX - 5), s(5)));
        // An arc longer than half the space still works (unlike before()).
        assert!(s(HALF + 100).between(s(0), s(u32::MAX)));
        // hi before lo: arc covers almost everything except (hi, lo).
        assert!(s(0).between(s(20), s(10)));
        assert!(!s(15).between(s(20), s(10)));
    }

    #[test]
    fn min_max() {
        assert_eq!(s(u32::MAX).max_seq(s(1)), s(1));
        assert_eq!(s(u32::MAX).min_seq(s(1)), s(u32::MAX));
        assert_eq!(s(3).max_seq(s(3)), s(3));
    }

    #[test]
    fn conversions() {
        assert_eq!(u32::from(SeqNum::from(42)), 42);
        assert_eq!(SeqNum::new(9).get(), 9);
    }
}
