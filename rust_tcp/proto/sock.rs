// SPDX-License-Identifier: GPL-2.0

//! Socket buffer sizes and send-space rules from net/core/sock.c and
//! include/net/sock.h, with the TCP defaults of net/ipv4/tcp.c:
//!
//! * `SO_SNDBUF`/`SO_RCVBUF` (and the `*FORCE` variants) in
//!   `sk_setsockopt()`: the value is clamped to `net.core.wmem_max`
//!   (`rmem_max`), doubled "to account for struct sk_buff etc. overhead",
//!   and at least `SOCK_MIN_SNDBUF` (`SOCK_MIN_RCVBUF`); getsockopt returns
//!   the doubled value ([`so_sndbuf`], [`so_rcvbuf`]);
//! * `net.ipv4.tcp_wmem`/`tcp_rmem` defaults (`tcp_init()`) and the buffers
//!   a new socket starts with (`tcp_init_sock()`) ([`tcp_mem_defaults`]);
//! * `sk_stream_wspace()`, `sk_stream_min_wspace()`,
//!   `__sk_stream_memory_free()` and `__sk_stream_is_writeable()`.
//!
//! How a receive buffer becomes a window is
//! [`super::tcp_output::tcp_win_from_space`] and [`super::tcp_window`];
//! send-buffer growth is [`super::tcp_send::sndbuf_expand`]. Several
//! limits depend on kernel structure sizes, which differ between
//! architectures, configurations and versions: they are parameters
//! ([`SkbOverhead`]) that the kernel side measures, never constants here.

/// Structure sizes that enter buffer arithmetic, supplied by the caller
/// from the kernel it runs on (`SKB_DATA_ALIGN(sizeof(struct sk_buff))`,
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`, `MAX_TCP_HEADER`).
/// On Debian 12's linux-image-6.12 for x86-64 they are 256, 320 and 320
/// (`sk_buff` 232 bytes, 17 frags, `MAX_HEADER` 176), which give the
/// familiar `SO_SNDBUF` minimum 4608, `SO_RCVBUF` minimum 2304,
/// `wmem_max` 212992 and initial TCP send buffer 87040; the tests use
/// those.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkbOverhead {
    /// `SKB_DATA_ALIGN(sizeof(struct sk_buff))`.
    pub skb_aligned: u32,
    /// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`.
    pub shinfo_aligned: u32,
    /// `MAX_TCP_HEADER`: `L1_CACHE_ALIGN(128 + MAX_HEADER)`.
    pub max_tcp_header: u32,
}

impl SkbOverhead {
    /// `TCP_SKB_MIN_TRUESIZE`: `2048 + SKB_DATA_ALIGN(sizeof(struct
    /// sk_buff))`.
    #[inline]
    pub const fn tcp_skb_min_truesize(&self) -> i32 {
        clamp_i32(2048 + self.skb_aligned as i64)
    }

    /// `SOCK_MIN_SNDBUF`: two minimal skbs.
    #[inline]
    pub const fn sock_min_sndbuf(&self) -> i32 {
        clamp_i32(2 * self.tcp_skb_min_truesize() as i64)
    }

    /// `SOCK_MIN_RCVBUF`: one minimal skb.
    #[inline]
    pub const fn sock_min_rcvbuf(&self) -> i32 {
        self.tcp_skb_min_truesize()
    }

    /// `SKB_TRUESIZE(x)`: memory an skb with `x` bytes of data costs.
    #[inline]
    pub const fn skb_truesize(&self, x: u32) -> u32 {
        x.saturating_add(self.skb_aligned).saturating_add(self.shinfo_aligned)
    }

    /// `SK_WMEM_MAX` (= `SK_RMEM_MAX`): default `net.core.wmem_max` and
    /// `rmem_max`, 256 skbs of 256 bytes.
    #[inline]
    pub const fn sk_wmem_max(&self) -> u32 {
        self.skb_truesize(256).saturating_mul(256)
    }

    /// The `per_mss` of `tcp_sndbuf_expand()`: what one segment of `mss`
    /// payload bytes costs in the send buffer when each takes its own skb,
    /// `roundup_pow_of_two(mss + MAX_TCP_HEADER + shinfo) + sk_buff`.
    #[inline]
    pub const fn tcp_sndmem_per_mss(&self, mss: u32) -> u64 {
        let seg = mss as u64 + self.max_tcp_header as u64 + self.shinfo_aligned as u64;
        seg.next_power_of_two() + self.skb_aligned as u64
    }
}

const fn clamp_i32(v: i64) -> i32 {
    if v > i32::MAX as i64 {
        i32::MAX
    } else if v < i32::MIN as i64 {
        i32::MIN
    } else {
        v as i32
    }
}

/// The doubling and floor shared by both buffers: `val` at most
/// `INT_MAX / 2`, then `max(val * 2, min)`.
const fn double_buf(val: i32, min: i32) -> i32 {
    let v = if val > i32::MAX / 2 { i32::MAX / 2 } else { val };
    let d = v.wrapping_mul(2);
    if d > min {
        d
    } else {
        min
    }
}

/// The value SO_SNDBUF/SO_RCVBUF size from: `min_t(u32, val, max)`
/// stored back into an int, or with `force` (the _FORCE options) `val`
/// with negatives as 0.
const fn requested_buf(val: i32, max: u32, force: bool) -> i32 {
    if force {
        if val < 0 {
            0
        } else {
            val
        }
    } else {
        let u = val as u32;
        (if u < max { u } else { max }) as i32
    }
}

/// The new `sk_sndbuf` after `setsockopt(SO_SNDBUF, val)` (`force`:
/// `SO_SNDBUF_FORCE`, which needs CAP_NET_ADMIN and ignores `wmem_max`).
/// The caller also sets `SOCK_SNDBUF_LOCK` (no more automatic growth) and
/// calls `sk_write_space()`.
///
/// `SO_SNDBUF` compares `val` with `wmem_max` as unsigned, so a negative
/// value means `wmem_max`; `SO_SNDBUF_FORCE` turns negatives into 0.
pub const fn so_sndbuf(val: i32, wmem_max: u32, force: bool, o: &SkbOverhead) -> i32 {
    double_buf(requested_buf(val, wmem_max, force), o.sock_min_sndbuf())
}

/// The new `sk_rcvbuf` after `setsockopt(SO_RCVBUF, val)`
/// (`__sock_set_rcvbuf()`; `force`: `SO_RCVBUF_FORCE`). The caller also
/// sets `SOCK_RCVBUF_LOCK`.
pub const fn so_rcvbuf(val: i32, rmem_max: u32, force: bool, o: &SkbOverhead) -> i32 {
    double_buf(requested_buf(val, rmem_max, force), o.sock_min_rcvbuf())
}

/// `net.ipv4.tcp_wmem` and `tcp_rmem` as `tcp_init()` sets them:
/// `{PAGE_SIZE, 16 KiB, max(64 KiB, min(4 MiB, limit))}` and
/// `{PAGE_SIZE, 128 KiB, max(128 KiB, min(6 MiB, limit))}`, where `limit`
/// is `nr_free_buffer_pages() << (PAGE_SHIFT - 7)` (1/128 of free low
/// memory). A new socket starts with `sk_sndbuf = tcp_wmem[1]` and
/// `sk_rcvbuf = tcp_rmem[1]` (`tcp_init_sock()`).
pub const fn tcp_mem_defaults(nr_free_buffer_pages: u64, page_shift: u32) -> ([u32; 3], [u32; 3]) {
    let shift = page_shift.saturating_sub(7);
    let limit = match nr_free_buffer_pages.checked_shl(shift) {
        Some(l) if shift < 32 && nr_free_buffer_pages <= (u64::MAX >> 32) => l,
        _ => u64::MAX,
    };
    let page = match 1u32.checked_shl(page_shift) {
        Some(p) => p,
        None => u32::MAX,
    };
    let wshare = if limit < 4 * 1024 * 1024 { limit } else { 4 * 1024 * 1024 };
    let rshare = if limit < 6 * 1024 * 1024 { limit } else { 6 * 1024 * 1024 };
    let wmax = if wshare > 64 * 1024 { wshare } else { 64 * 1024 };
    let rmax = if rshare > 131_072 { rshare } else { 131_072 };
    (
        [page, 16 * 1024, wmax as u32],
        [page, 131_072, rmax as u32],
    )
}

/// `sk_stream_wspace()`: `sndbuf - wmem_queued`.
#[inline]
pub const fn sk_stream_wspace(sndbuf: i32, wmem_queued: i32) -> i32 {
    sndbuf.wrapping_sub(wmem_queued)
}

/// `sk_stream_min_wspace()`: `wmem_queued / 2`.
#[inline]
pub const fn sk_stream_min_wspace(wmem_queued: i32) -> i32 {
    wmem_queued >> 1
}

/// The generic half of `__sk_stream_memory_free()`: `wmem_queued <
/// sndbuf` (TCP adds [`super::tcp_send::tcp_stream_memory_free`]).
/// `sendmsg()` queues a new skb only while this holds, else it waits for
/// space (`sk_stream_wait_memory()`).
#[inline]
pub const fn sk_stream_memory_free(sndbuf: i32, wmem_queued: i32) -> bool {
    wmem_queued < sndbuf
}

/// The generic half of `__sk_stream_is_writeable()`: free space at least
/// half of what is queued (a third of the buffer), and memory free.
/// TCP adds [`super::tcp_send::tcp_stream_memory_free`] (with `wake`);
/// `tcp_poll()`'s complete version is
/// [`super::tcp_fin::sk_stream_is_writeable`].
#[inline]
pub const fn sk_stream_is_writeable(sndbuf: i32, wmem_queued: i32) -> bool {
    sk_stream_wspace(sndbuf, wmem_queued) >= sk_stream_min_wspace(wmem_queued)
        && sk_stream_memory_free(sndbuf, wmem_queued)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The sizes of Debian 12's linux-image-6.12 on x86-64 (see
    /// [`SkbOverhead`]), for the tests of every module.
    pub(crate) const SKB_TEST: SkbOverhead = SkbOverhead {
        skb_aligned: 256,
        shinfo_aligned: 320,
        max_tcp_header: 320,
    };
    const O: SkbOverhead = SKB_TEST;

    #[test]
    fn constants() {
        assert_eq!(O.tcp_skb_min_truesize(), 2304);
        assert_eq!(O.sock_min_sndbuf(), 4608);
        assert_eq!(O.sock_min_rcvbuf(), 2304);
        assert_eq!(O.skb_truesize(256), 832);
        assert_eq!(O.sk_wmem_max(), 212_992);
        // 1460 + 320 + 320 rounds up to 4096.
        assert_eq!(O.tcp_sndmem_per_mss(1460), 4352);
        assert_eq!(O.tcp_sndmem_per_mss(65483), 131_328);
        let _ = O.tcp_sndmem_per_mss(u32::MAX);
    }

    #[test]
    fn sndbuf_setsockopt() {
        let max = O.sk_wmem_max();
        assert_eq!(so_sndbuf(0, max, false, &O), 4608);
        assert_eq!(so_sndbuf(2000, max, false, &O), 4608);
        assert_eq!(so_sndbuf(2305, max, false, &O), 4610);
        assert_eq!(so_sndbuf(65536, max, false, &O), 131_072);
        assert_eq!(so_sndbuf(1 << 30, max, false, &O), 425_984);
        // Negative: as unsigned it is huge, so wmem_max.
        assert_eq!(so_sndbuf(-1, max, false, &O), 425_984);
        // FORCE ignores wmem_max, caps at INT_MAX / 2 * 2.
        assert_eq!(so_sndbuf(1 << 29, max, true, &O), 1 << 30);
        assert_eq!(so_sndbuf(1 << 30, max, true, &O), i32::MAX - 1);
        assert_eq!(so_sndbuf(i32::MAX, max, true, &O), i32::MAX - 1);
        assert_eq!(so_sndbuf(-5, max, true, &O), 4608);
        // A wmem_max beyond INT_MAX still caps.
        assert_eq!(so_sndbuf(i32::MAX, u32::MAX, false, &O), i32::MAX - 1);
    }

    #[test]
    fn rcvbuf_setsockopt() {
        let max = O.sk_wmem_max();
        assert_eq!(so_rcvbuf(0, max, false, &O), 2304);
        assert_eq!(so_rcvbuf(1152, max, false, &O), 2304);
        assert_eq!(so_rcvbuf(1153, max, false, &O), 2306);
        assert_eq!(so_rcvbuf(100_000, max, false, &O), 200_000);
        assert_eq!(so_rcvbuf(-1, max, false, &O), 425_984);
        assert_eq!(so_rcvbuf(-1, max, true, &O), 2304);
        assert_eq!(so_rcvbuf(10_000_000, max, true, &O), 20_000_000);
    }

    #[test]
    fn tcp_defaults() {
        // 1 GiB of free low memory in 4 KiB pages: limit 8 MiB.
        let (w, r) = tcp_mem_defaults(262_144, 12);
        assert_eq!(w, [4096, 16384, 4 * 1024 * 1024]);
        assert_eq!(r, [4096, 131_072, 6 * 1024 * 1024]);
        // 64 MiB: limit 512 KiB.
        let (w, r) = tcp_mem_defaults(16_384, 12);
        assert_eq!(w, [4096, 16384, 524_288]);
        assert_eq!(r, [4096, 131_072, 524_288]);
        // Tiny: floors.
        let (w, r) = tcp_mem_defaults(100, 12);
        assert_eq!((w[2], r[2]), (65536, 131_072));
        let _ = tcp_mem_defaults(u64::MAX, 40);
        let _ = tcp_mem_defaults(100, 200);
        let _ = tcp_mem_defaults(u64::MAX, 0);
    }

    #[test]
    fn stream_space() {
        assert_eq!(sk_stream_wspace(87040, 60000), 27040);
        assert_eq!(sk_stream_min_wspace(60000), 30000);
        assert!(!sk_stream_is_writeable(87040, 60000));
        assert!(sk_stream_is_writeable(87040, 58000));
        assert!(sk_stream_memory_free(87040, 87039));
        assert!(!sk_stream_memory_free(87040, 87040));
        // A buffer shrunk below what is queued.
        assert!(!sk_stream_is_writeable(4608, 10000));
    }
}
