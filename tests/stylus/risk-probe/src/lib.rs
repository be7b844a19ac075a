//! A test-only Stylus program: calldata is a `keel_risk::model::cross::CrossAccount` in the
//! [`wire`] format; the answer is `Result<CrossMargin, error name>` in the same format —
//! keel-risk's [`cross_margin`](keel_risk::model::cross::cross_margin) of that account with
//! its whole breakdown, or the name of the [`RiskError`](keel_risk::RiskError) it refused it
//! with. Undecodable calldata returns status 1 and no data.
//!
//! The conformance test (`scripts/tests/conformance_wasm.rs`) runs every SRM reference case
//! through it and requires the answer to equal the native build's byte for byte, so the cases
//! a margin snapshot cannot carry (per-strike vols) are checked in WASM too. The library part
//! ([`wire`]) is the same code natively, for the test.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod wire;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod program {
    use alloc::vec;

    use keel_risk::model::cross::{cross_margin, CrossAccount};

    use crate::wire::{answer, Wire};

    #[link(wasm_import_module = "vm_hooks")]
    extern "C" {
        fn read_args(dest: *mut u8);
        fn write_result(data: *const u8, len: usize);
        fn pay_for_memory_grow(pages: u16);
    }

    #[global_allocator]
    static ALLOCATOR: mini_alloc::MiniAlloc = mini_alloc::MiniAlloc::INIT;

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        core::arch::wasm32::unreachable()
    }

    #[no_mangle]
    pub extern "C" fn user_entrypoint(len: usize) -> i32 {
        if len == 0 {
            // Never sent: keeps the import Stylus requires of a growable memory.
            unsafe { pay_for_memory_grow(0) };
            return 1;
        }
        let mut args = vec![0u8; len];
        unsafe { read_args(args.as_mut_ptr()) };
        let Some(account) = CrossAccount::decode(&args) else {
            return 1;
        };
        let out = answer(&cross_margin(&account));
        unsafe { write_result(out.as_ptr(), out.len()) };
        0
    }
}
