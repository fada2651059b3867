//! The hardware fingerprint: what makes "this machine" recognisable without
//! sending anything identifying off it.
//!
//! Eight components are read (see [`COMPONENTS`]); each is hashed with a
//! per-product key into 6 bits, so the installation ID carries only a short,
//! keyed digest per component and raw serial numbers and MAC addresses never
//! leave the machine. Two fingerprints are compared component by component and
//! the matching components' weights are summed:
//!
//! | component  | weight | why |
//! |------------|-------:|-----|
//! | machine_id | 3 | the OS install's own identity |
//! | board      | 3 | the motherboard: replacing it is a new machine |
//! | disk       | 2 | disk serials |
//! | nic        | 2 | physical network adapters' MAC addresses |
//! | volume     | 2 | the root file system's UUID (changes on reimaging) |
//! | cpu        | 1 | CPU model |
//! | memory     | 1 | memory size bucket |
//! | gpu        | 1 | graphics adapter |
//!
//! The total is 15 and a machine is the same machine when the matching weight
//! is at least [`SAME_MACHINE_WEIGHT`] (9). Losing any two components costs at
//! most 6 (9 left: the same machine); losing any five costs at least 7 (8
//! left: a new machine); three or four changes are decided by which parts
//! changed, as in the classic designs. A changed component still matches by
//! chance one time in 64.

mod collect;

pub use collect::collect;

use crate::ids::bits::{BitReader, BitWriter};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The components, in ID order, with their weights.
pub const COMPONENTS: [(&str, u8); 8] = [
    ("machine_id", 3),
    ("board", 3),
    ("cpu", 1),
    ("memory", 1),
    ("disk", 2),
    ("nic", 2),
    ("gpu", 1),
    ("volume", 2),
];

/// Matching weight at or above which two fingerprints are the same machine.
pub const SAME_MACHINE_WEIGHT: u8 = 9;

/// The raw components of a machine, as read on it or posed in a JSON file.
/// A component that could not be read is the empty string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Components {
    /// `/etc/machine-id` or equivalent.
    pub machine_id: String,
    /// Board vendor, name and serial / product UUID where readable.
    pub board: String,
    /// CPU model.
    pub cpu: String,
    /// Memory size bucket (for example "16GiB").
    pub memory: String,
    /// Disk serial numbers.
    pub disk: String,
    /// MAC addresses of physical network adapters.
    pub nic: String,
    /// Graphics adapter vendor and device IDs.
    pub gpu: String,
    /// Root volume UUID.
    pub volume: String,
    /// True when running under a hypervisor.
    #[serde(default, rename = "virtual")]
    pub virtual_machine: bool,
}

/// The keyed 6-bit digests of the eight components, plus the VM flag: what an
/// installation ID carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HardwareHash {
    /// One 6-bit digest per component, in [`COMPONENTS`] order.
    pub parts: [u8; 8],
    /// The machine reported itself as virtual.
    pub virtual_machine: bool,
}

/// How two fingerprints compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Similarity {
    /// Components whose digests match (0..=8).
    pub matching: usize,
    /// Sum of the matching components' weights (0..=15).
    pub weight: u8,
}

impl Similarity {
    /// Same machine by the weighted vote.
    pub fn same_machine(&self) -> bool {
        self.weight >= SAME_MACHINE_WEIGHT
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

impl Components {
    /// Reads a fingerprint posed in a JSON file: an object with the string
    /// fields `machine_id, board, cpu, memory, disk, nic, gpu, volume` and an
    /// optional boolean `virtual`.
    pub fn from_file(path: &Path) -> Result<Self, FingerprintError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FingerprintError::Io {
            path: p.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| FingerprintError::Json {
            path: p,
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

    fn values(&self) -> [&str; 8] {
        [
            &self.machine_id,
            &self.board,
            &self.cpu,
            &self.memory,
            &self.disk,
            &self.nic,
            &self.gpu,
            &self.volume,
        ]
    }

    /// The keyed digest of these components for one product. `salt` is the
    /// vendor's fingerprint salt; the product code makes the digests differ
    /// per product, so two products' IDs cannot be linked.
    pub fn hash(&self, salt: &[u8], product: u16) -> HardwareHash {
        let mut parts = [0u8; 8];
        for (i, (value, (name, _))) in self.values().iter().zip(COMPONENTS).enumerate() {
            let digest = crate::mac::hmac(
                salt,
                &[
                    &product.to_be_bytes(),
                    name.as_bytes(),
                    &[0],
                    value.trim().as_bytes(),
                ],
            );
            parts[i] = digest[0] & 0x3F;
        }
        HardwareHash {
            parts,
            virtual_machine: self.virtual_machine,
        }
    }
}

impl HardwareHash {
    /// Writes the 49 bits (8 × 6 digest bits, then the VM flag).
    pub fn write_bits(&self, w: &mut BitWriter) {
        for p in self.parts {
            w.push(p as u64 & 0x3F, 6);
        }
        w.push(self.virtual_machine as u64, 1);
    }

    /// Reads the 49 bits written by [`write_bits`](Self::write_bits).
    pub fn read_bits(r: &mut BitReader<'_>) -> Self {
        let mut parts = [0u8; 8];
        for p in parts.iter_mut() {
            *p = r.read(6) as u8;
        }
        Self {
            parts,
            virtual_machine: r.read(1) == 1,
        }
    }

    /// Compares two fingerprints by the weighted vote.
    pub fn compare(&self, other: &HardwareHash) -> Similarity {
        let mut s = Similarity {
            matching: 0,
            weight: 0,
        };
        for ((a, b), (_, w)) in self.parts.iter().zip(other.parts).zip(COMPONENTS) {
            if *a == b {
                s.matching += 1;
                s.weight += w;
            }
        }
        s
    }

    /// The names of components that differ.
    pub fn changed(&self, other: &HardwareHash) -> Vec<&'static str> {
        self.parts
            .iter()
            .zip(other.parts)
            .zip(COMPONENTS)
            .filter(|((a, b), _)| **a != *b)
            .map(|(_, (n, _))| n)
            .collect()
    }

    /// Hex form for storage (16 hex digits + VM flag).
    pub fn to_hex(&self) -> String {
        let mut s: String = self.parts.iter().map(|p| format!("{p:02x}")).collect();
        s.push(if self.virtual_machine { 'v' } else { 'p' });
        s
    }

    /// Parses [`to_hex`](Self::to_hex) output.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 17 || !s.is_ascii() {
            return None;
        }
        let mut parts = [0u8; 8];
        for (i, p) in parts.iter_mut().enumerate() {
            *p = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16)
                .ok()
                .filter(|v| *v < 64)?;
        }
        let virtual_machine = match &s[16..] {
            "v" => true,
            "p" => false,
            _ => return None,
        };
        Some(Self {
            parts,
            virtual_machine,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Components {
        Components {
            machine_id: "4c4c4544-0042".into(),
            board: "Acme X570 SN123".into(),
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

    /// Replaces one component with a value whose 6-bit digest really differs.
    fn change(c: &mut Components, name: &str) {
        let before = c.hash(b"salt", 1);
        for i in 0.. {
            *slot(c, name) = format!("replacement-{i}");
            if before.compare(&c.hash(b"salt", 1)).matching == 7 {
                return;
            }
        }
    }

    fn subsets(k: usize) -> Vec<Vec<&'static str>> {
        let names: Vec<_> = COMPONENTS.iter().map(|c| c.0).collect();
        (0u32..256)
            .filter(|m| m.count_ones() as usize == k)
            .map(|m| {
                (0..8)
                    .filter(|i| m >> i & 1 == 1)
                    .map(|i| names[i])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn weights_sum_to_fifteen_and_threshold_is_nine() {
        assert_eq!(COMPONENTS.iter().map(|c| c.1 as u32).sum::<u32>(), 15);
        assert_eq!(SAME_MACHINE_WEIGHT, 9);
    }

    #[test]
    fn one_or_two_changed_components_is_the_same_machine() {
        let base = machine().hash(b"salt", 1);
        for k in [1, 2] {
            for set in subsets(k) {
                let mut m = machine();
                for n in &set {
                    change(&mut m, n);
                }
                assert!(
                    base.compare(&m.hash(b"salt", 1)).same_machine(),
                    "{set:?} changed"
                );
            }
        }
    }

    #[test]
    fn five_or_more_changed_components_is_a_new_machine() {
        let base = machine().hash(b"salt", 1);
        for k in 5..=8 {
            for set in subsets(k) {
                let mut m = machine();
                for n in &set {
                    change(&mut m, n);
                }
                assert!(
                    !base.compare(&m.hash(b"salt", 1)).same_machine(),
                    "{set:?} changed"
                );
            }
        }
    }

    #[test]
    fn digests_differ_per_product_and_salt() {
        let m = machine();
        assert_ne!(m.hash(b"salt", 1), m.hash(b"salt", 2));
        assert_ne!(m.hash(b"salt", 1), m.hash(b"other", 1));
        assert_eq!(m.hash(b"salt", 1), m.hash(b"salt", 1));
    }

    #[test]
    fn hex_round_trips() {
        let h = machine().hash(b"s", 3);
        assert_eq!(HardwareHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(HardwareHash::from_hex("zz"), None);
    }
}
