//! Licensing agreements (licensing IDs).
//!
//! ```toml
//! [[agreement]]
//! id = "4711"                  # the licensing ID
//! customer = "Northwind Labs"
//! program = "enterprise"       # enterprise | select | select-plus | open-license | open-value | partner
//! level = "B"                  # pricing level A..D (enterprise and select programs)
//! parent = "4700"              # optional: affiliates may use the parent's keys
//! licences = 20                # open programs: licences bought
//! ```

use super::catalog::Class;
use super::FileError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// Volume licensing programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Program {
    /// Enterprise agreement: keys per product pool, allowance by pricing level.
    Enterprise,
    /// Select licence: keys per product pool, allowance by pricing level.
    Select,
    /// Select Plus: keys per product pool, allowance by pricing level.
    SelectPlus,
    /// Open licence: keys per purchase, allowance from licences bought.
    OpenLicense,
    /// Open value: keys per purchase, allowance from licences bought.
    OpenValue,
    /// Partner program: keys issued and activated by staff only.
    Partner,
}

impl Program {
    /// The display name.
    pub fn label(self) -> &'static str {
        match self {
            Program::Enterprise => "Enterprise",
            Program::Select => "Select",
            Program::SelectPlus => "Select Plus",
            Program::OpenLicense => "Open License",
            Program::OpenValue => "Open Value",
            Program::Partner => "Partner",
        }
    }

    /// Keys are given per product pool (enterprise and select programs).
    pub fn per_pool(self) -> bool {
        matches!(
            self,
            Program::Enterprise | Program::Select | Program::SelectPlus
        )
    }

    /// Keys are given per purchase (open programs).
    pub fn per_purchase(self) -> bool {
        matches!(self, Program::OpenLicense | Program::OpenValue)
    }
}

/// Pricing levels, smallest to largest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Level {
    /// Level A.
    A,
    /// Level B.
    B,
    /// Level C.
    C,
    /// Level D.
    D,
}

/// The product pool a class belongs to (enterprise and select programs).
pub fn pool(class: Class) -> &'static str {
    match class {
        Class::Desktop => "systems",
        Class::Server => "servers",
        Class::Application => "applications",
    }
}

/// One agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Licensing ID.
    pub id: String,
    /// Customer name.
    pub customer: String,
    /// Program.
    pub program: Program,
    /// Parent agreement, for affiliates.
    pub parent: Option<String>,
    /// Pricing level (enterprise and select programs).
    pub level: Option<Level>,
    /// Licences bought (open programs).
    pub licences: Option<u32>,
}

impl Agreement {
    /// The default activation allowance of a count-limited key under this
    /// agreement. Open programs: generous for reimaging and virtual machines,
    /// twice the licences and at least 50 (so 1–25 licences give 50). Pool
    /// programs: by pricing level (A 500, B 1,000, C 2,500, D 5,000).
    /// Partner keys have no default: staff set it.
    pub fn allowance(&self) -> Option<u32> {
        if self.program.per_purchase() {
            return Some((self.licences.unwrap_or(0).saturating_mul(2)).max(50));
        }
        if self.program.per_pool() {
            return Some(match self.level.unwrap_or(Level::A) {
                Level::A => 500,
                Level::B => 1_000,
                Level::C => 2_500,
                Level::D => 5_000,
            });
        }
        None
    }

    /// "4711 (Northwind Labs, Enterprise)".
    pub fn label(&self) -> String {
        format!("{} ({}, {})", self.id, self.customer, self.program.label())
    }
}

/// All agreements, by ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreements(pub BTreeMap<String, Agreement>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    id: Spanned<String>,
    customer: String,
    program: Spanned<Program>,
    parent: Option<Spanned<String>>,
    level: Option<Level>,
    licences: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    agreement: Vec<RawAgreement>,
}

impl Agreements {
    /// Parses and validates an agreements file: all or nothing.
    pub fn parse(file: &str, text: &str) -> Result<Self, FileError> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| FileError::from_toml(file, text, &e))?;
        let mut all = BTreeMap::new();
        let mut parents = Vec::new();
        for a in raw.agreement {
            let id = a.id.get_ref().clone();
            if id.is_empty() {
                return Err(FileError::at(
                    file,
                    text,
                    a.id.span().start,
                    "an agreement ID cannot be empty",
                ));
            }
            let program = *a.program.get_ref();
            if program.per_pool() && a.level.is_none() {
                return Err(FileError::at(
                    file,
                    text,
                    a.program.span().start,
                    format!(
                        "agreement {id}: {} agreements need a pricing level (level = \"A\"..\"D\")",
                        program.label()
                    ),
                ));
            }
            if program.per_purchase() && a.licences.unwrap_or(0) == 0 {
                return Err(FileError::at(
                    file,
                    text,
                    a.program.span().start,
                    format!(
                        "agreement {id}: {} agreements need licences = N (at least 1)",
                        program.label()
                    ),
                ));
            }
            if let Some(p) = &a.parent {
                parents.push((id.clone(), p.get_ref().clone(), p.span().start));
            }
            let ag = Agreement {
                id: id.clone(),
                customer: a.customer,
                program,
                parent: a.parent.map(Spanned::into_inner),
                level: a.level,
                licences: a.licences,
            };
            if all.insert(id.clone(), ag).is_some() {
                return Err(FileError::at(
                    file,
                    text,
                    a.id.span().start,
                    format!("agreement {id} is listed twice"),
                ));
            }
        }
        for (id, parent, at) in parents {
            if !all.contains_key(&parent) {
                return Err(FileError::at(
                    file,
                    text,
                    at,
                    format!("agreement {id}: parent {parent} is not in the file"),
                ));
            }
            let mut seen = vec![id.clone()];
            let mut cur = Some(parent);
            while let Some(p) = cur {
                if seen.contains(&p) {
                    return Err(FileError::at(
                        file,
                        text,
                        at,
                        format!("agreement {id}: parent chain loops back to {p}"),
                    ));
                }
                seen.push(p.clone());
                cur = all.get(&p).and_then(|a| a.parent.clone());
            }
        }
        Ok(Self(all))
    }

    /// The agreement with this ID.
    pub fn get(&self, id: &str) -> Option<&Agreement> {
        self.0.get(id)
    }

    /// True when `user` may use keys of `owner`: the same agreement, or an
    /// affiliate whose parent chain reaches `owner`.
    pub fn may_use(&self, user: &str, owner: &str) -> bool {
        let mut cur = Some(user.to_string());
        let mut hops = 0;
        while let Some(id) = cur {
            if id == owner {
                return true;
            }
            hops += 1;
            if hops > self.0.len() {
                return false;
            }
            cur = self.0.get(&id).and_then(|a| a.parent.clone());
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_agreements_load() {
        let a = Agreements::parse(
            "samples/agreements.toml",
            include_str!("../../../../samples/agreements.toml"),
        )
        .unwrap();
        assert!(a.0.len() >= 4);
    }

    #[test]
    fn rule_open_allowance_1_to_25_licences_give_50_activations() {
        let mut a = Agreement {
            id: "1".into(),
            customer: "c".into(),
            program: Program::OpenLicense,
            parent: None,
            level: None,
            licences: Some(1),
        };
        assert_eq!(a.allowance(), Some(50));
        a.licences = Some(25);
        assert_eq!(a.allowance(), Some(50));
        a.licences = Some(40);
        assert_eq!(a.allowance(), Some(80));
    }

    #[test]
    fn rule_pool_allowance_follows_pricing_level() {
        let mut a = Agreement {
            id: "1".into(),
            customer: "c".into(),
            program: Program::Enterprise,
            parent: None,
            level: Some(Level::A),
            licences: None,
        };
        assert_eq!(a.allowance(), Some(500));
        a.level = Some(Level::D);
        assert_eq!(a.allowance(), Some(5000));
        a.program = Program::Partner;
        assert_eq!(a.allowance(), None, "partner allowances are set by staff");
    }

    #[test]
    fn rule_affiliates_may_use_parent_keys_not_the_reverse() {
        let text = "[[agreement]]\nid=\"P\"\ncustomer=\"p\"\nprogram=\"enterprise\"\nlevel=\"A\"\n[[agreement]]\nid=\"C\"\ncustomer=\"c\"\nprogram=\"select\"\nlevel=\"A\"\nparent=\"P\"\n";
        let a = Agreements::parse("a.toml", text).unwrap();
        assert!(a.may_use("C", "P"));
        assert!(!a.may_use("P", "C"));
    }

    #[test]
    fn a_bad_file_is_refused_whole_with_its_line() {
        let text = "[[agreement]]\nid=\"P\"\ncustomer=\"p\"\nprogram=\"enterprise\"\nlevel=\"A\"\nparent=\"X\"\n";
        let e = Agreements::parse("a.toml", text).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        let e = Agreements::parse(
            "a.toml",
            "[[agreement]]\nid=\"P\"\ncustomer=\"p\"\nprogram=\"ultimate\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }
}
