// SPDX-License-Identifier: GPL-2.0

//! Per-CPU counters, laid out as Linux's SNMP MIBs are (`DEFINE_SNMP_STAT`):
//! each CPU increments its own copy, so counting on the hot path touches no
//! shared cache line; a reader sums the copies (`snmp_fold_field`).

use super::bindings as b;
use kernel::prelude::*;

/// `N` u64 counters per CPU.
pub(crate) struct PerCpuCounters<const N: usize> {
    ptr: *mut core::ffi::c_void,
}

// SAFETY: the counters are only touched through `this_cpu_inc` (each CPU
// its own copy, atomic against preemption) and summed with READ_ONCE; the
// pointer itself never changes after allocation.
unsafe impl<const N: usize> Send for PerCpuCounters<N> {}
// SAFETY: as above: every access through `&self` is CPU-local or a read.
unsafe impl<const N: usize> Sync for PerCpuCounters<N> {}

impl<const N: usize> PerCpuCounters<N> {
    /// Zeroed counters on every possible CPU (GFP_KERNEL: process context).
    pub(crate) fn new() -> Result<Self> {
        let n = u32::try_from(N).map_err(|_| EINVAL)?;
        // SAFETY: no preconditions; `__alloc_percpu` zeroes the memory.
        let ptr = unsafe { b::rust_tcp_glue_percpu_alloc(n) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { ptr })
    }

    /// Adds one to counter `i` on this CPU (any context).
    pub(crate) fn inc(&self, i: usize) {
        if i < N {
            // SAFETY: `ptr` holds `N` counters per CPU and `i < N`.
            unsafe { b::rust_tcp_glue_percpu_inc(self.ptr, i as u32) };
        }
    }

    /// Adds `n` to counter `i` on this CPU (any context).
    pub(crate) fn add(&self, i: usize, n: u64) {
        if i < N {
            // SAFETY: `ptr` holds `N` counters per CPU and `i < N`.
            unsafe { b::rust_tcp_glue_percpu_add(self.ptr, i as u32, n) };
        }
    }

    /// Counter `i` summed over every CPU; 0 for an index out of range.
    pub(crate) fn sum(&self, i: usize) -> u64 {
        if i >= N {
            return 0;
        }
        // SAFETY: `ptr` holds `N` counters per CPU and `i < N`.
        unsafe { b::rust_tcp_glue_percpu_sum(self.ptr, i as u32) }
    }
}

impl<const N: usize> Drop for PerCpuCounters<N> {
    fn drop(&mut self) {
        // SAFETY: allocated by `rust_tcp_glue_percpu_alloc` and freed once,
        // here; `&mut self` means no one else uses it.
        unsafe { b::rust_tcp_glue_percpu_free(self.ptr) };
    }
}
