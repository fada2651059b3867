//! Reading the components on Linux. Every source is optional: what cannot be
//! read (no permission, no such file, not Linux) becomes an empty component,
//! which is absent from the installation ID (see [`actline_formats::fingerprint`]). Nothing here substitutes a
//! model-level or made-up value for a missing one.

use actline_formats::fingerprint::Components;
use std::fs;
use std::path::Path;

fn read(path: impl AsRef<Path>) -> String {
    fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn dir_names(path: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn machine_id() -> String {
    let id = read("/etc/machine-id");
    if id.is_empty() {
        read("/var/lib/dbus/machine-id")
    } else {
        id
    }
}

fn board() -> String {
    let d = "/sys/class/dmi/id";
    // Only what tells one unit from another of the same model: the board's
    // serial and the product UUID, both root-only on most systems. Vendor and
    // model names are the same across a fleet and are left out.
    ["board_serial", "product_uuid"]
        .iter()
        .map(|f| read(format!("{d}/{f}")))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("|")
}

fn cpu() -> String {
    read("/proc/cpuinfo")
        .lines()
        .find(|l| {
            l.starts_with("model name") || l.starts_with("Model") || l.starts_with("cpu model")
        })
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// Memory rounded up to a power of two GiB, so a reading that moves by a few
/// kilobytes between boots stays in its bucket.
fn memory() -> String {
    let kib: u64 = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if kib == 0 {
        return String::new();
    }
    let gib = kib.div_ceil(1024 * 1024).next_power_of_two();
    format!("{gib}GiB")
}

fn disk() -> String {
    dir_names("/sys/block")
        .iter()
        .filter(|b| {
            !b.starts_with("loop")
                && !b.starts_with("ram")
                && !b.starts_with("dm-")
                && !b.starts_with("zram")
                // A USB stick plugged in is not a new machine.
                && read(format!("/sys/block/{b}/removable")) != "1"
        })
        .map(|b| {
            let serial = read(format!("/sys/block/{b}/device/serial"));
            if serial.is_empty() {
                read(format!("/sys/block/{b}/device/wwid"))
            } else {
                serial
            }
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("|")
}

fn nic() -> String {
    dir_names("/sys/class/net")
        .iter()
        // Physical adapters have a backing device; bridges, veths and the
        // loopback do not.
        .filter(|n| Path::new(&format!("/sys/class/net/{n}/device")).exists())
        .map(|n| read(format!("/sys/class/net/{n}/address")))
        .filter(|a| !a.is_empty() && a != "00:00:00:00:00:00")
        .collect::<Vec<_>>()
        .join("|")
}

fn gpu() -> String {
    dir_names("/sys/class/drm")
        .iter()
        .filter(|c| c.starts_with("card") && !c.contains('-'))
        .map(|c| {
            format!(
                "{}:{}",
                read(format!("/sys/class/drm/{c}/device/vendor")),
                read(format!("/sys/class/drm/{c}/device/device"))
            )
        })
        .filter(|s| s != ":")
        .collect::<Vec<_>>()
        .join("|")
}

fn volume() -> String {
    // The device mounted at / ...
    let mounts = read("/proc/self/mountinfo");
    let Some(source) = mounts.lines().find_map(|l| {
        let fields: Vec<&str> = l.split_whitespace().collect();
        let sep = fields.iter().position(|f| *f == "-")?;
        (fields.get(4) == Some(&"/"))
            .then(|| fields.get(sep + 2).map(|s| s.to_string()))
            .flatten()
    }) else {
        return String::new();
    };
    // ... and the UUID symlink pointing at it.
    let target = fs::canonicalize(&source).ok();
    for uuid in dir_names("/dev/disk/by-uuid") {
        if fs::canonicalize(format!("/dev/disk/by-uuid/{uuid}")).ok() == target && target.is_some()
        {
            return uuid;
        }
    }
    // The device path (the same on every VM of a flavour) is not evidence.
    String::new()
}

fn is_virtual() -> bool {
    let vendor = format!(
        "{} {}",
        read("/sys/class/dmi/id/sys_vendor"),
        read("/sys/class/dmi/id/product_name")
    )
    .to_lowercase();
    let known = [
        "qemu",
        "kvm",
        "vmware",
        "virtualbox",
        "xen",
        "microsoft corporation virtual",
        "bochs",
        "parallels",
        "amazon ec2",
        "google compute",
    ];
    known.iter().any(|k| vendor.contains(k))
        || read("/proc/cpuinfo")
            .lines()
            .any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "hypervisor"))
}

/// Reads this machine's components from whatever sources are readable.
pub fn collect() -> Components {
    Components {
        machine_id: machine_id(),
        board: board(),
        cpu: cpu(),
        memory: memory(),
        disk: disk(),
        nic: nic(),
        gpu: gpu(),
        volume: volume(),
        virtual_machine: is_virtual(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn collecting_twice_gives_the_same_components() {
        assert_eq!(super::collect(), super::collect());
    }
}
