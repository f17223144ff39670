//! Quality floors measured over seeds: std only, so that every test crate
//! (mdn-core's, mdn-cli's by `#[path]`) shares it.

/// The seeds a test with a quality floor (a PSNR or an NLL it must beat)
/// trains: its own `fixed` seed, or, with `MDN_FLOOR_SEEDS=N` in the
/// environment, seeds 0 to N − 1, which is how the distribution each
/// floor's comment gives was measured:
/// `MDN_FLOOR_SEEDS=40 cargo test --test NAME -- --nocapture` prints every
/// seed's value ([`above_floor`]) and asserts none, and the floor sits
/// below the lowest.
#[allow(dead_code)] // Not every test file uses every helper.
pub fn floor_seeds(fixed: u64) -> Vec<u64> {
    match std::env::var("MDN_FLOOR_SEEDS") {
        Ok(n) => (0..n.parse().expect("MDN_FLOOR_SEEDS: a number of seeds")).collect(),
        Err(_) => vec![fixed],
    }
}

/// Whether `MDN_FLOOR_SEEDS` asks for the floors' distributions (see
/// [`floor_seeds`]).
#[allow(dead_code)] // Not every test file uses every helper.
pub fn sweeping_floors() -> bool {
    std::env::var_os("MDN_FLOOR_SEEDS").is_some()
}

/// Asserts that `value` is above `floor` (`what` names the quantity and
/// the test); while [`floor_seeds`] sweeps, prints it instead:
/// `floor <what> = <floor>, seed <seed>: <value>`.
#[allow(dead_code)] // Not every test file uses every helper.
pub fn above_floor(what: &str, seed: u64, value: f32, floor: f32) {
    if sweeping_floors() {
        println!("floor {what} = {floor}, seed {seed}: {value}");
    } else {
        assert!(
            value > floor,
            "{what} (seed {seed}): {value}, floor {floor}"
        );
    }
}
