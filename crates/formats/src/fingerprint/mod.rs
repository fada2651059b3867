//! The hardware fingerprint: what makes "this machine" recognisable without
//! sending anything identifying off it, and the one rule that says whether
//! two fingerprints are the same machine. The vendor's reactivation rule and
//! the client's own check both call [`HardwareHash::compare`]; nothing else
//! decides it.
//!
//! ## What counts as evidence
//!
//! Only components that tell one unit from another of the same model are
//! carried in the installation ID (the **identity** components):
//!
//! | component  | weight | what |
//! |------------|-------:|------|
//! | machine_id | 3 | the OS install's own identity (`/etc/machine-id`) |
//! | board      | 2 | board serial and product UUID (readable by root only) |
//! | disk       | 2 | serials of the fixed disks |
//! | nic        | 2 | MAC addresses of physical network adapters |
//! | volume     | 2 | the root file system's UUID; not evidence on a virtual machine, whose root volume comes from the image it was cloned from |
//!
//! The CPU model, memory size and GPU model are read and shown
//! (`client fingerprint`) but are not part of the ID: a whole fleet of one
//! model shares them, so they cannot tell two machines apart and never tip a
//! match. An empty component, or a placeholder that firmware and hypervisors
//! report in place of a real value ("To Be Filled By O.E.M.", an all-zero
//! UUID, a device path where a UUID should be), is **absent**: it is not
//! carried, and an absent component never matches anything, not even another
//! absent one.
//!
//! ## The rule
//!
//! Two fingerprints are compared over the components present in **either**
//! of them. They are the same machine when the weight of the components
//! present in both with equal digests is **more than half** of the weight
//! present in either. Consequences, each pinned by a test:
//! - a physical machine with all five: any one or two changed components are
//!   still the same machine, any three are a new one;
//! - a virtual machine read without root (machine_id and nic only): a new
//!   network adapter is the same machine, a new machine-id is a new one;
//! - no single fingerprint F can match two machines A and B that differ in
//!   every identity component: the components where F matches A and those
//!   where F matches B are disjoint subsets of F's own, and each would need
//!   more than half of F's weight;
//! - leaving components out of a fingerprint does not help it match: what is
//!   missing on one side still counts in the denominator.
//!
//! ## Digests
//!
//! Each present component is hashed with HMAC-SHA-256 under the vendor's
//! fingerprint salt, keyed by the **product key's serial** (so the same
//! machine gives the same digests for every product the key covers, such as
//! a downgrade, while fingerprints made with different keys cannot be linked).
//! The 71 digest bits of the ID are shared among the present components
//! (five present: 15, 14, 14, 14, 14 bits; two present: 36 and 35), so a
//! virtual machine with few readable parts still carries long digests.
//! Two digests of different lengths are compared on their common prefix.

pub mod fleet;

use crate::bits::{BitReader, BitWriter};
use serde::{Deserialize, Serialize};

/// The identity components, in ID order, with their weights.
pub const IDENTITY: [(&str, u8); 5] = [
    ("machine_id", 3),
    ("board", 2),
    ("disk", 2),
    ("nic", 2),
    ("volume", 2),
];

/// Index of the volume component in [`IDENTITY`].
const VOLUME: usize = 4;

/// Digest bits the installation ID holds for all components together.
pub const DIGEST_BITS: u32 = 71;

/// Bits of the hardware section of an installation ID: the virtual-machine
/// flag, one presence bit per identity component, and the digests.
pub const HARDWARE_BITS: u32 = 1 + IDENTITY.len() as u32 + DIGEST_BITS;

/// The raw components of a machine, as read on it or posed in a JSON file.
/// A component that could not be read is the empty string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Components {
    /// `/etc/machine-id` or equivalent.
    pub machine_id: String,
    /// Board serial and product UUID where readable.
    pub board: String,
    /// CPU model (shown, not evidence).
    pub cpu: String,
    /// Memory size bucket, for example "16GiB" (shown, not evidence).
    pub memory: String,
    /// Disk serial numbers.
    pub disk: String,
    /// MAC addresses of physical network adapters.
    pub nic: String,
    /// Graphics adapter vendor and device IDs (shown, not evidence).
    pub gpu: String,
    /// Root volume UUID.
    pub volume: String,
    /// True when running under a hypervisor.
    #[serde(default, rename = "virtual")]
    pub virtual_machine: bool,
}

/// What an installation ID carries about the machine: per identity
/// component, a keyed digest or nothing, and the virtual-machine flag.
///
/// Digests are stored as their top `width` bits, where the width follows
/// from which components are present ([`HardwareHash::widths`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HardwareHash {
    digests: [Option<u64>; IDENTITY.len()],
    /// The machine reported itself as virtual.
    pub virtual_machine: bool,
}

/// How two fingerprints compare, by [the rule](self#the-rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Similarity {
    /// Components present in both with equal digests (bit i = `IDENTITY[i]`).
    pub matched: u8,
    /// Components present in either (bit i = `IDENTITY[i]`).
    pub present: u8,
}

fn weight_of(mask: u8) -> u32 {
    IDENTITY
        .iter()
        .enumerate()
        .filter(|(i, _)| mask >> i & 1 == 1)
        .map(|(_, (_, w))| *w as u32)
        .sum()
}

fn names_of(mask: u8) -> Vec<&'static str> {
    IDENTITY
        .iter()
        .enumerate()
        .filter(|(i, _)| mask >> i & 1 == 1)
        .map(|(_, (n, _))| *n)
        .collect()
}

impl Similarity {
    /// Weight of the matching components.
    pub fn weight(&self) -> u32 {
        weight_of(self.matched)
    }

    /// Weight of the components present in either fingerprint.
    pub fn present_weight(&self) -> u32 {
        weight_of(self.present)
    }

    /// Same machine: the matching weight is more than half of the present
    /// weight. Nothing present means nothing matches.
    pub fn same_machine(&self) -> bool {
        2 * self.weight() > self.present_weight()
    }

    /// Names of the matching components.
    pub fn matching(&self) -> Vec<&'static str> {
        names_of(self.matched)
    }

    /// Names of the components present on either side that do not match.
    pub fn changed(&self) -> Vec<&'static str> {
        names_of(self.present & !self.matched)
    }

    /// One phrase for traces: "machine_id, disk and nic match, weight 7 of 11".
    pub fn describe(&self) -> String {
        let m = self.matching();
        let list = match m.len() {
            0 => "no component matches".to_string(),
            1 => format!("{} matches", m[0]),
            n => format!("{} and {} match", m[..n - 1].join(", "), m[n - 1]),
        };
        format!(
            "{list}, weight {} of {}",
            self.weight(),
            self.present_weight()
        )
    }
}

/// Errors reading a fingerprint file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a fingerprint object.
    #[error("{path}: line {line}, column {column}: {message}")]
    Json {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// Placeholders that firmware, hypervisors and drivers report where a real
/// value is missing (compared lowercase, after trimming).
const PLACEHOLDERS: [&str; 16] = [
    "none",
    "n/a",
    "na",
    "unknown",
    "not specified",
    "not applicable",
    "not available",
    "default string",
    "to be filled by o.e.m.",
    "to be filled by oem",
    "system serial number",
    "system product name",
    "base board serial number",
    "chassis serial number",
    "0123456789",
    "123456789",
];

/// True when `part` (one `|`-separated piece of a component) carries no
/// identity: empty, a known placeholder, a device path, or only zeros, `f`s
/// and separators (a blank UUID or MAC address).
pub fn is_placeholder(part: &str) -> bool {
    let p = part.trim().to_lowercase();
    p.is_empty()
        || PLACEHOLDERS.contains(&p.as_str())
        || p.starts_with("/dev/")
        || p.chars().all(|c| matches!(c, '0' | '-' | ':' | ' ' | '.'))
        || p.chars().all(|c| matches!(c, 'f' | '-' | ':' | ' ' | '.'))
        || p == "03000200-0400-0500-0006-000700080009"
}

/// The evidence in a raw component: its pieces without placeholders, or
/// `None` when nothing is left.
fn evidence(value: &str) -> Option<String> {
    let kept: Vec<&str> = value
        .split('|')
        .map(str::trim)
        .filter(|p| !is_placeholder(p))
        .collect();
    (!kept.is_empty()).then(|| kept.join("|"))
}

impl Components {
    /// Reads a fingerprint posed as JSON (from `origin`, named in errors):
    /// an object with the string fields `machine_id, board, cpu, memory,
    /// disk, nic, gpu, volume` and an optional boolean `virtual`.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, FingerprintError> {
        serde_json::from_str(text).map_err(|e| FingerprintError::Json {
            path: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or_default()
                .to_string(),
        })
    }

    fn identity_values(&self) -> [&str; IDENTITY.len()] {
        [
            &self.machine_id,
            &self.board,
            &self.disk,
            &self.nic,
            &self.volume,
        ]
    }

    /// The keyed digest of these components for IDs made with the key whose
    /// serial is `key_serial`. `salt` is the vendor's fingerprint salt.
    /// Absent components (see [`is_placeholder`]) are left out, and so is the
    /// volume on a virtual machine.
    pub fn hash(&self, salt: &[u8], key_serial: u64) -> HardwareHash {
        let mut full = [None; IDENTITY.len()];
        for (i, (value, (name, _))) in self.identity_values().iter().zip(IDENTITY).enumerate() {
            if i == VOLUME && self.virtual_machine {
                continue;
            }
            let Some(value) = evidence(value) else {
                continue;
            };
            let digest = crate::mac::hmac(
                salt,
                &[
                    b"actline-hardware-v2",
                    &key_serial.to_be_bytes(),
                    name.as_bytes(),
                    &[0],
                    value.as_bytes(),
                ],
            );
            let mut top = [0u8; 8];
            top.copy_from_slice(&digest[..8]);
            full[i] = Some(u64::from_be_bytes(top));
        }
        HardwareHash::new(full, self.virtual_machine)
    }
}

impl HardwareHash {
    /// A fingerprint from full 64-bit digests (`None` for an absent
    /// component), each cut to the width its presence pattern gives it.
    pub fn new(full: [Option<u64>; IDENTITY.len()], virtual_machine: bool) -> Self {
        let mask = Self::mask_of(&full);
        let widths = Self::widths(mask);
        let mut digests = [None; IDENTITY.len()];
        for i in 0..IDENTITY.len() {
            digests[i] = full[i].map(|d| d >> (64 - widths[i]));
        }
        Self {
            digests,
            virtual_machine,
        }
    }

    /// Machine `n` of a made-up fleet, for tests, benchmarks and demos: all
    /// five components present, digests spread like real ones, so machine `n`
    /// differs from machine `m != n` in every component (barring a one in
    /// 2^14 chance per component).
    pub fn numbered(n: u64) -> Self {
        let mut rng = fleet::Rng::new(n);
        Self::new([(); IDENTITY.len()].map(|_| Some(rng.next_u64())), false)
    }

    fn mask_of(d: &[Option<u64>; IDENTITY.len()]) -> u8 {
        d.iter()
            .enumerate()
            .filter(|(_, d)| d.is_some())
            .fold(0, |m, (i, _)| m | 1 << i)
    }

    /// Which identity components are present (bit i = `IDENTITY[i]`).
    pub fn present(&self) -> u8 {
        Self::mask_of(&self.digests)
    }

    /// True when no identity component is present: such a fingerprint
    /// matches nothing, not even itself.
    pub fn is_empty(&self) -> bool {
        self.present() == 0
    }

    /// The digest width of each component for a presence pattern: the
    /// [`DIGEST_BITS`] shared evenly among the present ones (earlier ones get
    /// the remainder), at most 64 each; 0 for absent ones.
    pub fn widths(mask: u8) -> [u32; IDENTITY.len()] {
        let k = mask.count_ones();
        let mut w = [0; IDENTITY.len()];
        if k == 0 {
            return w;
        }
        let (base, mut extra) = (DIGEST_BITS / k, DIGEST_BITS % k);
        for (i, slot) in w.iter_mut().enumerate() {
            if mask >> i & 1 == 1 {
                *slot = (base + u32::from(extra > 0)).min(64);
                extra = extra.saturating_sub(1);
            }
        }
        w
    }

    /// Writes the [`HARDWARE_BITS`] bits: VM flag, presence bits, then each
    /// present digest at its width, zero-padded to [`DIGEST_BITS`].
    pub fn write_bits(&self, w: &mut BitWriter) {
        let mask = self.present();
        w.push(self.virtual_machine as u64, 1);
        w.push(mask as u64, IDENTITY.len() as u32);
        let widths = Self::widths(mask);
        let mut used = 0;
        for (d, width) in self.digests.iter().zip(widths) {
            if let Some(d) = d {
                w.push(*d, width);
                used += width;
            }
        }
        w.push(0, DIGEST_BITS - used);
    }

    /// Reads what [`write_bits`](Self::write_bits) wrote; `None` when the
    /// padding is not zero (no writer makes such bits).
    pub fn read_bits(r: &mut BitReader<'_>) -> Option<Self> {
        let virtual_machine = r.read(1) == 1;
        let mask = r.read(IDENTITY.len() as u32) as u8;
        let widths = Self::widths(mask);
        let mut digests = [None; IDENTITY.len()];
        let mut used = 0;
        for (i, width) in widths.iter().enumerate() {
            if mask >> i & 1 == 1 {
                digests[i] = Some(r.read(*width));
                used += width;
            }
        }
        (r.read(DIGEST_BITS - used) == 0).then_some(Self {
            digests,
            virtual_machine,
        })
    }

    /// Compares two fingerprints by [the rule](self#the-rule).
    pub fn compare(&self, other: &HardwareHash) -> Similarity {
        let (wa, wb) = (Self::widths(self.present()), Self::widths(other.present()));
        let mut s = Similarity {
            matched: 0,
            present: self.present() | other.present(),
        };
        for i in 0..IDENTITY.len() {
            if let (Some(a), Some(b)) = (self.digests[i], other.digests[i]) {
                let w = wa[i].min(wb[i]);
                if a >> (wa[i] - w) == b >> (wb[i] - w) {
                    s.matched |= 1 << i;
                }
            }
        }
        s
    }

    /// Storage form: `h2:` then the [`HARDWARE_BITS`] bits as hex.
    pub fn to_hex(&self) -> String {
        let mut w = BitWriter::new();
        self.write_bits(&mut w);
        let bytes = crate::bits::to_bytes(&w.finish());
        let mut s = String::from("h2:");
        for b in bytes {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// Parses [`to_hex`](Self::to_hex) output. The 17-character form of
    /// installation ID format 1 (6-bit digests of all eight components,
    /// keyed per product) cannot be compared with today's digests; it reads
    /// as a fingerprint with no identity evidence, which matches nothing.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() == 17 && s.is_ascii() && (s.ends_with('v') || s.ends_with('p')) {
            if s[..16].chars().all(|c| c.is_ascii_hexdigit()) {
                return Some(Self {
                    digests: [None; IDENTITY.len()],
                    virtual_machine: s.ends_with('v'),
                });
            }
            return None;
        }
        let hex = s.strip_prefix("h2:")?;
        let nbytes = (HARDWARE_BITS as usize).div_ceil(8);
        if hex.len() != nbytes * 2 || !hex.is_ascii() {
            return None;
        }
        let bytes: Vec<u8> = (0..nbytes)
            .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok())
            .collect::<Option<_>>()?;
        let mut bits = Vec::with_capacity(nbytes * 8);
        for b in &bytes {
            for i in (0..8).rev() {
                bits.push(b >> i & 1 == 1);
            }
        }
        if bits[HARDWARE_BITS as usize..].iter().any(|b| *b) {
            return None;
        }
        Self::read_bits(&mut BitReader::new(&bits[..HARDWARE_BITS as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Components {
        Components {
            machine_id: "4c4c4544-0042".into(),
            board: "BSN-7731-0042|6f1e0a3c-77aa-4b1e-9c11-0d2e3f4a5b6c".into(),
            cpu: "Ryzen 7".into(),
            memory: "32GiB".into(),
            disk: "S4EWNX0R".into(),
            nic: "00:11:22:33:44:55".into(),
            gpu: "10de:1eb8".into(),
            volume: "a1b2-c3d4".into(),
            virtual_machine: false,
        }
    }

    fn slot<'a>(c: &'a mut Components, name: &str) -> &'a mut String {
        match name {
            "machine_id" => &mut c.machine_id,
            "board" => &mut c.board,
            "cpu" => &mut c.cpu,
            "memory" => &mut c.memory,
            "disk" => &mut c.disk,
            "nic" => &mut c.nic,
            "gpu" => &mut c.gpu,
            _ => &mut c.volume,
        }
    }

    fn subsets(names: &[&'static str], k: usize) -> Vec<Vec<&'static str>> {
        (0u32..1 << names.len())
            .filter(|m| m.count_ones() as usize == k)
            .map(|m| {
                (0..names.len())
                    .filter(|i| m >> i & 1 == 1)
                    .map(|i| names[i])
                    .collect()
            })
            .collect()
    }

    fn identity_names() -> Vec<&'static str> {
        IDENTITY.iter().map(|c| c.0).collect()
    }

    fn changed(base: &Components, set: &[&str]) -> Components {
        let mut m = base.clone();
        for n in set {
            *slot(&mut m, n) = format!("replacement for {n}");
        }
        m
    }

    #[test]
    fn one_or_two_changed_components_is_the_same_machine() {
        let base = machine().hash(b"salt", 7);
        for k in [1, 2] {
            for set in subsets(&identity_names(), k) {
                let s = base.compare(&changed(&machine(), &set).hash(b"salt", 7));
                assert!(s.same_machine(), "{set:?} changed: {}", s.describe());
            }
        }
    }

    #[test]
    fn three_or_more_changed_components_is_a_new_machine() {
        let base = machine().hash(b"salt", 7);
        for k in 3..=5 {
            for set in subsets(&identity_names(), k) {
                let s = base.compare(&changed(&machine(), &set).hash(b"salt", 7));
                assert!(!s.same_machine(), "{set:?} changed: {}", s.describe());
            }
        }
    }

    #[test]
    fn cpu_memory_and_gpu_are_not_evidence() {
        let mut other = machine();
        other.cpu = "another cpu".into();
        other.memory = "8GiB".into();
        other.gpu = "1002:73bf".into();
        assert_eq!(machine().hash(b"s", 1), other.hash(b"s", 1));
        // Two machines sharing only the fleet's cpu, memory and gpu differ.
        let stranger = changed(&machine(), &identity_names());
        assert_eq!(
            machine()
                .hash(b"s", 1)
                .compare(&stranger.hash(b"s", 1))
                .matched,
            0
        );
    }

    #[test]
    fn two_empty_components_never_match() {
        let empty = Components::default().hash(b"s", 1);
        assert!(empty.is_empty());
        assert!(!empty.compare(&empty).same_machine());
        let mut a = Components {
            machine_id: "m-a".into(),
            ..Default::default()
        };
        let b = Components {
            machine_id: "m-b".into(),
            ..Default::default()
        };
        let s = a.hash(b"s", 1).compare(&b.hash(b"s", 1));
        assert_eq!(
            s.matched, 0,
            "empty board, disk, nic and volume are not a match"
        );
        a.machine_id = "m-b".into();
        assert!(a.hash(b"s", 1).compare(&b.hash(b"s", 1)).same_machine());
    }

    #[test]
    fn placeholders_and_device_paths_are_absent() {
        for p in [
            "To Be Filled By O.E.M.",
            "Default string",
            "00000000-0000-0000-0000-000000000000",
            "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
            "/dev/vda1",
            "00:00:00:00:00:00",
            "  ",
            "None",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        let vm = |volume: &str| {
            Components {
                volume: volume.into(),
                ..Default::default()
            }
            .hash(b"s", 1)
        };
        assert!(vm("/dev/vda1").is_empty());
        assert!(vm("Default string|/dev/sda2").is_empty());
        assert!(!vm("a1b2-c3d4").is_empty());
    }

    #[test]
    fn the_volume_of_a_virtual_machine_is_not_evidence() {
        let mut vm = machine();
        vm.virtual_machine = true;
        let h = vm.hash(b"s", 1);
        assert_eq!(h.present() >> VOLUME & 1, 0);
    }

    #[test]
    fn a_vm_read_without_root_keeps_its_seat_through_a_new_nic_only() {
        let vm = |mid: &str, nic: &str| {
            Components {
                machine_id: mid.into(),
                nic: nic.into(),
                cpu: "Intel Xeon (Cascadelake)".into(),
                memory: "8GiB".into(),
                volume: "/dev/vda1".into(),
                virtual_machine: true,
                ..Default::default()
            }
            .hash(b"s", 9)
        };
        let a = vm("mid-a", "52:54:00:00:00:0a");
        assert!(a.compare(&vm("mid-a", "52:54:00:00:00:0b")).same_machine());
        assert!(!a.compare(&vm("mid-b", "52:54:00:00:00:0a")).same_machine());
        assert!(!a.compare(&vm("mid-b", "52:54:00:00:00:0b")).same_machine());
    }

    fn spread(n: u64) -> u64 {
        fleet::Rng::new(n).next_u64()
    }

    /// Every way of building a fingerprint from two machines' digests (each
    /// component taken from A, from B, left out, or made up) matches at most
    /// one of them, for every presence pattern of A and B.
    #[test]
    fn no_fingerprint_matches_two_machines_that_differ_everywhere() {
        let n = IDENTITY.len();
        let pick = |present: u32, base: u64| {
            let mut d = [None; IDENTITY.len()];
            for (i, slot) in d.iter_mut().enumerate() {
                if present >> i & 1 == 1 {
                    *slot = Some(spread(base + i as u64));
                }
            }
            d
        };
        for present_a in 1u32..1 << n {
            for present_b in 1u32..1 << n {
                let (da, db) = (pick(present_a, 0), pick(present_b, 100));
                let (ha, hb) = (HardwareHash::new(da, false), HardwareHash::new(db, false));
                for choice in 0..4u32.pow(n as u32) {
                    let mut df = [None; IDENTITY.len()];
                    for (i, slot) in df.iter_mut().enumerate() {
                        *slot = match choice / 4u32.pow(i as u32) % 4 {
                            0 => da[i],
                            1 => db[i],
                            2 => None,
                            _ => Some(spread(200 + i as u64)),
                        };
                    }
                    let hf = HardwareHash::new(df, false);
                    assert!(
                        !(hf.compare(&ha).same_machine() && hf.compare(&hb).same_machine()),
                        "A {present_a:05b}, B {present_b:05b}, F {hf:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn digests_follow_the_key_not_the_product() {
        let m = machine();
        assert_ne!(m.hash(b"salt", 1), m.hash(b"salt", 2));
        assert_ne!(m.hash(b"salt", 1), m.hash(b"other", 1));
        assert_eq!(m.hash(b"salt", 1), m.hash(b"salt", 1));
    }

    #[test]
    fn widths_share_the_digest_bits() {
        assert_eq!(HardwareHash::widths(0b11111), [15, 14, 14, 14, 14]);
        assert_eq!(HardwareHash::widths(0b01001), [36, 0, 0, 35, 0]);
        assert_eq!(HardwareHash::widths(0b00001), [64, 0, 0, 0, 0]);
        assert_eq!(HardwareHash::widths(0), [0; 5]);
    }

    #[test]
    fn digests_of_different_widths_compare_on_their_common_prefix() {
        let mut rooted = machine();
        let unrooted = Components {
            board: String::new(),
            ..machine()
        };
        let a = unrooted.hash(b"s", 5);
        assert!(a.compare(&rooted.hash(b"s", 5)).same_machine());
        rooted.machine_id = "reinstalled".into();
        let s = a.compare(&rooted.hash(b"s", 5));
        assert_eq!(s.matching(), ["disk", "nic", "volume"]);
    }

    #[test]
    fn hex_and_bits_round_trip() {
        for c in [
            machine(),
            Components::default(),
            Components {
                virtual_machine: true,
                nic: "x".into(),
                ..Default::default()
            },
        ] {
            let h = c.hash(b"s", 3);
            assert_eq!(HardwareHash::from_hex(&h.to_hex()), Some(h));
            let mut w = BitWriter::new();
            h.write_bits(&mut w);
            let bits = w.finish();
            assert_eq!(bits.len(), HARDWARE_BITS as usize);
            assert_eq!(HardwareHash::read_bits(&mut BitReader::new(&bits)), Some(h));
        }
        assert_eq!(HardwareHash::from_hex("zz"), None);
        assert_eq!(HardwareHash::from_hex("h2:zz"), None);
    }

    #[test]
    fn a_format_1_fingerprint_reads_as_no_evidence() {
        let h = HardwareHash::from_hex("0102030405060708p").unwrap();
        assert!(h.is_empty());
        assert!(!h.compare(&machine().hash(b"s", 1)).same_machine());
    }

    #[test]
    fn nonzero_padding_is_refused() {
        let mut w = BitWriter::new();
        w.push(0, 1).push(0b00001, 5).push(7, 64).push(1, 7);
        assert_eq!(
            HardwareHash::read_bits(&mut BitReader::new(&w.finish())),
            None
        );
    }
}
