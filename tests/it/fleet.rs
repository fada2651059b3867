//! The fleet simulation: one seat per machine at fleet scale (issue 9's
//! goal: no free seat among 10,000 new machines on a 5,000-seat key, while
//! machines with one or two changed parts still reactivate). Deterministic:
//! fixed seeds, so a failure is a change in the rule, not bad luck.
//! `cargo bench --bench fleet` prints the same figures for more key sizes.

use actline::fingerprint::fleet::{simulate, Fleet};

#[test]
fn no_new_machine_is_taken_for_an_old_one_on_a_5000_seat_key() {
    for (i, fleet) in Fleet::ALL.into_iter().enumerate() {
        let o = simulate(fleet, 5_000, 10_000, 0, 90 + i as u64);
        assert_eq!(o.seats_held, 5_000, "{}", fleet.name());
        assert_eq!(o.taken_for_old, 0, "{}: {o:?}", fleet.name());
    }
}

#[test]
fn one_changed_part_reactivates_and_two_do_on_a_physical_machine_read_with_root() {
    let o = simulate(Fleet::Physical { root: true }, 1_000, 1_000, 2_000, 7);
    assert_eq!(o.refused, [0, 0, 0], "{o:?}");
    let o = simulate(Fleet::Physical { root: false }, 1_000, 1_000, 2_000, 8);
    assert_eq!(o.refused[1], 0, "{o:?}");
    let o = simulate(Fleet::Virtual { root: true }, 1_000, 1_000, 2_000, 9);
    assert_eq!(o.refused[1], 0, "{o:?}");
}

#[test]
fn a_retail_key_holds_one_vm_of_a_flavour() {
    for fleet in Fleet::ALL {
        let o = simulate(fleet, 1, 10_000, 0, 3);
        assert_eq!((o.seats_held, o.taken_for_old), (1, 0), "{}", fleet.name());
    }
}
