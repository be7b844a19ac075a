//! A test-only Stylus program for `keel bench`: calldata `mode(1) ‖ forward ‖ strike ‖ √τ ‖
//! vol ‖ discount` (each an `i128` wad, 16 bytes big-endian). Mode 1 prices the option with
//! keel-risk's `black76_with_greeks` and returns `call ‖ put ‖ call delta ‖ put delta`
//! (16 bytes each); mode 0 does everything else (reads, decodes, encodes, returns the
//! inputs) so the difference of the two is one Black-76 price and delta. Modes 2–7 run one
//! of its parts on the first inputs, to profile it: `ln(forward / strike)`, `exp(vol)`,
//! `norm_cdf(vol)`, `sqrt(forward)`, `forward × strike` and `forward ÷ strike` (wad). Modes
//! 8 and 9 prepare the forward, strike and vol (`PreparedForward`, `PreparedStrike`,
//! `PreparedVol`) and price them with `black76_prepared` once (8) or twice (9, through
//! `black_box` so the second is not folded into the first), returning `call ‖ put`: the
//! difference is the portfolio engine's per-option, per-scenario pricing. A failure returns
//! status 1 and no data.
//!
//! Built only for wasm32 (it is a workspace member so CI builds it with the contracts; a
//! native build is empty).

#![cfg(target_arch = "wasm32")]
#![no_std]

use core::hint::black_box;

use keel_risk::math::{
    black76_prepared, black76_with_greeks, exp, ln, norm_cdf, sqrt, PreparedForward,
    PreparedStrike, PreparedVol,
};
use keel_risk::Wad;

#[link(wasm_import_module = "vm_hooks")]
extern "C" {
    fn read_args(dest: *mut u8);
    fn write_result(data: *const u8, len: usize);
    fn pay_for_memory_grow(pages: u16);
}

/// keel-risk links `alloc`; the pricing path never allocates, so every allocation fails.
struct NoAlloc;

unsafe impl core::alloc::GlobalAlloc for NoAlloc {
    unsafe fn alloc(&self, _: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _: *mut u8, _: core::alloc::Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAlloc = NoAlloc;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

const INPUT: usize = 1 + 5 * 16;

fn word(args: &[u8; INPUT], i: usize) -> Wad {
    let mut b = [0u8; 16];
    b.copy_from_slice(&args[1 + 16 * i..1 + 16 * (i + 1)]);
    Wad::from_raw(i128::from_be_bytes(b))
}

#[no_mangle]
pub extern "C" fn user_entrypoint(len: usize) -> i32 {
    if len != INPUT {
        return 1;
    }
    let mut args = [0u8; INPUT];
    unsafe { read_args(args.as_mut_ptr()) };
    let mut out = [0u8; 64];
    let [f, k, t, v, d] = [0, 1, 2, 3, 4].map(|i| word(&args, i));
    let values = match args[0] {
        0 => [f, k, t, v],
        1 => match black76_with_greeks(f, k, t, v, d) {
            Ok((p, g)) => [p.call, p.put, g.call_delta, g.put_delta],
            Err(_) => return 1,
        },
        2..=7 => {
            let r = match args[0] {
                2 => f.div(k).and_then(ln),
                3 => exp(v),
                4 => Ok(norm_cdf(v)),
                5 => sqrt(f),
                6 => f.mul(k),
                _ => f.div(k),
            };
            match r {
                Ok(x) => [x, k, t, v],
                Err(_) => return 1,
            }
        }
        8 | 9 => {
            let prepared = PreparedForward::new(f, d).and_then(|forward| {
                Ok((forward, PreparedStrike::new(k, d)?, PreparedVol::new(t, v)?))
            });
            let Ok((forward, strike, vol)) = prepared else {
                return 1;
            };
            let times = if args[0] == 8 { 1 } else { 2 };
            let mut last = None;
            for _ in 0..black_box(times) {
                last = Some(black76_prepared(
                    black_box(&forward),
                    black_box(&strike),
                    black_box(&vol),
                ));
            }
            match last {
                Some(Ok(p)) => [p.call, p.put, t, v],
                _ => return 1,
            }
        }
        // Never sent: keeps the import Stylus requires of a growable memory.
        _ => {
            unsafe { pay_for_memory_grow(0) };
            return 1;
        }
    };
    for (i, x) in values.iter().enumerate() {
        out[16 * i..16 * (i + 1)].copy_from_slice(&x.raw().to_be_bytes());
    }
    unsafe { write_result(out.as_ptr(), out.len()) };
    0
}
