//! Underlyings, markets and instrument ids, through the core's delegatecall into the module.
mod common;

use alloy_primitives::{Address, U256};
use common::*;

fn list(env: &Env, from: Address, asset: Address, vol: U256) -> Result<u8, Vec<u8>> {
    env.call(
        from,
        I::listUnderlyingCall {
            asset,
            stressVol: vol,
        },
    )
}

#[test]
fn listing_needs_the_risk_admin_and_valid_arguments() {
    let env = Env::bare();
    env.state().set_srm_sets(2);
    for who in [OWNER, ALICE, GUARDIAN] {
        assert_eq!(
            list(&env, who, ETH, wad(1)),
            Err(err(I::Unauthorized { caller: who }))
        );
    }
    assert_eq!(
        list(&env, ADMIN, Address::ZERO, wad(1)),
        Err(err(I::ZeroAddress {}))
    );
    let bad_vol = err(I::InvalidParameter { which: 24 });
    for vol in [
        U256::ZERO,
        wad(10) + U256::from(1),
        wad(1_000),
        U256::from(1) << 128,
        U256::MAX,
    ] {
        assert_eq!(list(&env, ADMIN, ETH, vol), Err(bad_vol.clone()), "{vol}");
    }
    assert!(env.call(ALICE, I::underlyingsCall {}).unwrap().is_empty());
    // Both ends of (0, 10] are inside.
    assert_eq!(list(&env, ADMIN, ETH, wad(10)), Ok(0));
    assert_eq!(list(&env, ADMIN, BTC, U256::from(1)), Ok(1));
    assert_eq!(
        list(&env, ADMIN, ETH, wad(1)),
        Err(err(I::UnderlyingAlreadyListed { asset: ETH }))
    );
    assert_eq!(
        env.call(ALICE, I::underlyingsCall {}).unwrap(),
        vec![ETH, BTC]
    );
    assert_eq!(
        env.events::<I::UnderlyingListed>(),
        vec![
            I::UnderlyingListed {
                asset: ETH,
                index: 0,
                stressVol: wad(10)
            },
            I::UnderlyingListed {
                asset: BTC,
                index: 1,
                stressVol: U256::from(1)
            },
        ]
    );
    // Funding starts at zero, accrued as of the listing.
    let f = env.call(ALICE, I::fundingCall { underlying: BTC }).unwrap();
    assert_eq!((f.index, f.ratePerSecond, f.updatedAt), (iw(0), iw(0), T0));
    let info = env.state().underlying_info(ETH).unwrap();
    assert_eq!(info.index, 0);
    assert_eq!(info.stress_vol.raw(), 10 * ONE);
}

#[test]
fn listing_needs_an_srm_set_for_the_new_index() {
    let env = Env::bare();
    assert_eq!(
        list(&env, ADMIN, ETH, wad(1)),
        Err(err(I::RiskParamsNotSet {}))
    );
    env.state().set_srm_sets(1);
    assert_eq!(list(&env, ADMIN, ETH, wad(1)), Ok(0));
    assert_eq!(
        list(&env, ADMIN, BTC, wad(1)),
        Err(err(I::TooManyUnderlyings {}))
    );
    env.state().set_srm_sets(2);
    assert_eq!(list(&env, ADMIN, BTC, wad(1)), Ok(1));
}

#[test]
fn at_most_sixteen_underlyings() {
    let env = Env::bare();
    // More SRM sets than the vault may list: the hard bound of 16 still holds.
    env.state().set_srm_sets(20);
    for i in 0..16u8 {
        let asset = Address::repeat_byte(0x80 + i);
        assert_eq!(list(&env, ADMIN, asset, wad(1)), Ok(i));
    }
    assert_eq!(
        list(&env, ADMIN, Address::repeat_byte(0x7f), wad(1)),
        Err(err(I::TooManyUnderlyings {}))
    );
    assert_eq!(env.call(ALICE, I::underlyingsCall {}).unwrap().len(), 16);
}

#[test]
fn markets_are_set_by_the_owner_and_need_code() {
    let env = Env::bare();
    let set = |from, market, authorised| env.exec(from, I::setMarketCall { market, authorised });
    for who in [ADMIN, GUARDIAN, ALICE] {
        assert_eq!(
            set(who, MARKET, true),
            Err(err(I::Unauthorized { caller: who }))
        );
    }
    assert_eq!(
        set(OWNER, EOA, true),
        Err(err(I::NotAContract { account: EOA }))
    );
    assert_eq!(
        set(OWNER, Address::ZERO, true),
        Err(err(I::NotAContract {
            account: Address::ZERO
        }))
    );
    assert!(!env.call(ALICE, I::isMarketCall { market: MARKET }).unwrap());
    set(OWNER, MARKET, true).unwrap();
    assert!(env.call(ALICE, I::isMarketCall { market: MARKET }).unwrap());
    assert!(!env.call(ALICE, I::isMarketCall { market: EOA }).unwrap());
    // Revoking needs no code (a market whose code is gone can still be revoked).
    set(OWNER, EOA, false).unwrap();
    set(OWNER, MARKET, false).unwrap();
    assert!(!env.call(ALICE, I::isMarketCall { market: MARKET }).unwrap());
    assert_eq!(
        env.events::<I::MarketSet>(),
        vec![
            I::MarketSet {
                market: MARKET,
                authorised: true
            },
            I::MarketSet {
                market: EOA,
                authorised: false
            },
            I::MarketSet {
                market: MARKET,
                authorised: false
            },
        ]
    );
}

#[test]
fn instrument_ids_pack_index_kind_expiry_strike() {
    let env = Env::new();
    let strike = wad(65_000);
    // Hand-packed: index in bits 200.., kind in 192.., expiry in 128.., strike below.
    let expected =
        (U256::from(1u8) << 200) | (U256::from(CALL) << 192) | (U256::from(EXPIRY) << 128) | strike;
    assert_eq!(env.id(BTC, CALL, EXPIRY, strike), expected);
    let put = (U256::from(PUT) << 192) | (U256::from(EXPIRY) << 128) | wad(1_500);
    assert_eq!(env.id(ETH, PUT, EXPIRY, wad(1_500)), put);
    // ETH is index 0: its perpetual is id 0; BTC's perpetual only carries the index.
    assert_eq!(env.perp(ETH), U256::ZERO);
    assert_eq!(env.perp(BTC), U256::from(1u8) << 200);

    let fields = env.call(ALICE, I::instrumentCall { id: expected }).unwrap();
    assert_eq!(
        (fields.underlying, fields.kind, fields.expiry, fields.strike),
        (BTC, CALL, EXPIRY, strike)
    );
    let fields = env
        .call(ALICE, I::instrumentCall { id: U256::ZERO })
        .unwrap();
    assert_eq!(
        (fields.underlying, fields.kind, fields.expiry, fields.strike),
        (ETH, PERP, 0, U256::ZERO)
    );
}

#[test]
fn malformed_instruments_and_unlisted_underlyings_are_refused() {
    let env = Env::new();
    let id = |underlying, kind, expiry, strike| {
        env.call(
            ALICE,
            I::instrumentIdCall {
                underlying,
                kind,
                expiry,
                strike,
            },
        )
    };
    assert_eq!(
        id(SOL, PERP, 0, U256::ZERO),
        Err(err(I::UnderlyingNotListed { asset: SOL }))
    );
    let packed = |kind: u8, expiry: u64, strike: U256| {
        (U256::from(kind) << 192) | (U256::from(expiry) << 128) | strike
    };
    let cases = [
        (3u8, 0u64, U256::ZERO),              // unknown kind
        (PERP, EXPIRY, U256::ZERO),           // perpetual with an expiry
        (PERP, 0, U256::from(1)),             // perpetual with a strike
        (CALL, 0, wad(1)),                    // option without expiry
        (PUT, EXPIRY, U256::ZERO),            // option without strike
        (CALL, EXPIRY, U256::from(1) << 127), // strike beyond int128
    ];
    for (kind, expiry, strike) in cases {
        let expected = packed(kind, expiry, strike);
        assert_eq!(
            id(ETH, kind, expiry, strike),
            Err(err(I::InvalidInstrument {
                instrument: expected
            })),
            "{kind} {expiry} {strike}"
        );
        assert_eq!(
            env.call(ALICE, I::instrumentCall { id: expected }),
            Err(err(I::InvalidInstrument {
                instrument: expected
            }))
        );
    }
    // A strike that does not fit the id at all: id 0.
    assert_eq!(
        id(ETH, CALL, EXPIRY, U256::from(1) << 128),
        Err(err(I::InvalidInstrument {
            instrument: U256::ZERO
        }))
    );
    // Bits above the index.
    let high = U256::from(1) << 250;
    assert_eq!(
        env.call(ALICE, I::instrumentCall { id: high }),
        Err(err(I::InvalidInstrument { instrument: high }))
    );
    // Index 2 is well formed but nothing is listed there.
    let unlisted = U256::from(2u8) << 200;
    assert_eq!(
        env.call(ALICE, I::instrumentCall { id: unlisted }),
        Err(err(I::UnderlyingNotListed {
            asset: Address::ZERO
        }))
    );
}

#[test]
fn funding_of_an_unlisted_underlying_is_refused() {
    let env = Env::new();
    assert_eq!(
        env.call(ALICE, I::fundingCall { underlying: SOL }),
        Err(err(I::UnderlyingNotListed { asset: SOL }))
    );
}
