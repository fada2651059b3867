//! Made-up fleets for simulations: how often does the [matching
//! rule](super#the-rule) take a new machine for an old one (a free seat), and
//! how often does it refuse a real reactivation? Used by the fleet test and
//! the `fleet` benchmark; deterministic for a given seed.
//!
//! The fleets are modelled on what the collector reads:
//! - **physical, one model**: every machine has the same CPU, memory and GPU;
//!   machine-id, disk serial and root volume UUID are random; network
//!   adapters share the vendor's OUI (the first three bytes of the MAC); the
//!   board serial and product UUID only with root.
//! - **virtual, one flavour**: the same CPU, memory, and root volume UUID
//!   (every VM is cloned from one image); machine-id random (regenerated at
//!   first boot); MACs under the hypervisor's OUI; no disk serial; the
//!   product UUID only with root.

use super::{Components, HardwareHash, IDENTITY};

/// The kind of fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fleet {
    /// Same-model physical machines.
    Physical {
        /// Read with root (board serial and product UUID readable).
        root: bool,
    },
    /// Virtual machines of one flavour from one image.
    Virtual {
        /// Read with root (product UUID readable).
        root: bool,
    },
}

impl Fleet {
    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Fleet::Physical { root: true } => "physical, root",
            Fleet::Physical { root: false } => "physical, no root",
            Fleet::Virtual { root: true } => "VM, root",
            Fleet::Virtual { root: false } => "VM, no root",
        }
    }

    /// The four fleets the simulation covers.
    pub const ALL: [Fleet; 4] = [
        Fleet::Physical { root: true },
        Fleet::Physical { root: false },
        Fleet::Virtual { root: true },
        Fleet::Virtual { root: false },
    ];
}

/// splitmix64: a small, good, deterministic generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn hex(&mut self, n: usize) -> String {
        let mut s = String::new();
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }

    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }

    fn mac(&mut self, oui: &str) -> String {
        let v = self.next_u64();
        format!(
            "{oui}:{:02x}:{:02x}:{:02x}",
            v as u8,
            (v >> 8) as u8,
            (v >> 16) as u8
        )
    }
}

/// One machine of `fleet`, drawn from `rng`.
pub fn machine(fleet: Fleet, rng: &mut Rng) -> Components {
    match fleet {
        Fleet::Physical { root } => Components {
            machine_id: rng.hex(32),
            board: if root {
                format!("BSN{}|{}", rng.hex(10).to_uppercase(), rng.uuid())
            } else {
                String::new()
            },
            cpu: "Intel(R) Core(TM) i7-12700 CPU".into(),
            memory: "32GiB".into(),
            disk: format!("S6PXNM0T{}", rng.hex(6).to_uppercase()),
            nic: rng.mac("3c:ec:ef"),
            gpu: "0x8086:0x4680".into(),
            volume: rng.uuid(),
            virtual_machine: false,
        },
        Fleet::Virtual { root } => Components {
            machine_id: rng.hex(32),
            board: if root { rng.uuid() } else { String::new() },
            cpu: "Intel Xeon Processor (Cascadelake)".into(),
            memory: "8GiB".into(),
            disk: String::new(),
            nic: rng.mac("52:54:00"),
            gpu: String::new(),
            volume: "9b4f1c2e-7a3d-4e5f-8a9b-0c1d2e3f4a5b".into(),
            virtual_machine: true,
        },
    }
}

/// The identity components `c` reports (what can change on it).
pub fn present_parts(c: &Components) -> Vec<&'static str> {
    let h = c.hash(b"", 0);
    IDENTITY
        .iter()
        .enumerate()
        .filter(|(i, _)| h.present() >> i & 1 == 1)
        .map(|(_, (n, _))| *n)
        .collect()
}

/// `c` with `count` of its present identity components replaced (a new
/// disk, adapter, board or OS install), chosen by `rng`; `None` unless at
/// least one part would be left as it was (changing every part is a new
/// machine, not a reactivation).
pub fn with_changes(c: &Components, count: usize, rng: &mut Rng) -> Option<Components> {
    let mut parts = present_parts(c);
    if parts.len() <= count {
        return None;
    }
    let mut out = c.clone();
    for _ in 0..count {
        let i = (rng.next_u64() % parts.len() as u64) as usize;
        let name = parts.swap_remove(i);
        let fresh = format!("replaced-{}", rng.hex(16));
        match name {
            "machine_id" => out.machine_id = fresh,
            "board" => out.board = fresh,
            "disk" => out.disk = fresh,
            "nic" => out.nic = fresh,
            _ => out.volume = fresh,
        }
    }
    Some(out)
}

/// What one simulated key saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// New machines that asked.
    pub new_machines: usize,
    /// New machines taken for one already holding a seat (free seats).
    pub taken_for_old: usize,
    /// Comparisons made (new machine × seats held at the time).
    pub comparisons: u64,
    /// Seats held at the end.
    pub seats_held: usize,
    /// Reactivations tried, per number of changed parts (index 1 and 2).
    pub reactivations: [usize; 3],
    /// Of those, refused (matched no seat or another machine's seat).
    pub refused: [usize; 3],
}

/// One key of `seats` seats, asked by `new_machines` distinct machines of
/// `fleet` in turn (each compared with every seat held, as the vendor's rule
/// does); then `reactivations` seat holders, picked at random, come back with
/// one and with two parts changed.
pub fn simulate(
    fleet: Fleet,
    seats: usize,
    new_machines: usize,
    reactivations: usize,
    seed: u64,
) -> Outcome {
    let mut rng = Rng::new(seed);
    let salt = rng.hex(64).into_bytes();
    let serial = rng.next_u64() & ((1 << 36) - 1);
    let mut held: Vec<(Components, HardwareHash)> = Vec::with_capacity(seats);
    let mut out = Outcome {
        new_machines,
        ..Default::default()
    };
    for _ in 0..new_machines {
        let c = machine(fleet, &mut rng);
        let h = c.hash(&salt, serial);
        out.comparisons += held.len() as u64;
        if held.iter().any(|(_, s)| s.compare(&h).same_machine()) {
            out.taken_for_old += 1;
        } else if held.len() < seats {
            held.push((c, h));
        }
    }
    out.seats_held = held.len();
    if held.is_empty() {
        return out;
    }
    for changes in [1, 2] {
        for _ in 0..reactivations {
            let own = (rng.next_u64() % held.len() as u64) as usize;
            let Some(c) = with_changes(&held[own].0, changes, &mut rng) else {
                continue;
            };
            out.reactivations[changes] += 1;
            let h = c.hash(&salt, serial);
            let best = held
                .iter()
                .enumerate()
                .map(|(i, (_, s))| (i, s.compare(&h)))
                .filter(|(_, s)| s.same_machine())
                .max_by_key(|(i, s)| (s.weight(), *i));
            if best.map(|(i, _)| i) != Some(own) {
                out.refused[changes] += 1;
            }
        }
    }
    out
}
