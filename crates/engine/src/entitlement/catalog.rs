//! The product catalog.
//!
//! ```toml
//! [thresholds]                 # optional; these are the defaults
//! desktop = 25
//! server = 5
//! application = 5
//!
//! [[product]]
//! name = "studio"              # what people and keys call it
//! code = 101                   # 1..16383, carried in installation IDs; never reuse
//! family = "studio"
//! version = 7
//! class = "application"        # desktop | server | application
//! profile = "signed"           # signed (default) | compact
//! own_key = false              # true: earlier-version keys' downgrade rights do not reach it
//!
//! [[host]]                     # site activation host compatibility
//! host = "vault"               # a server product that may act as a host ...
//! activates = ["studio", "notes"]   # ... for these products
//! ```

use super::FileError;
use crate::confirm::Profile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use toml::Spanned;

/// What kind of product, which sets its site activation threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Desktop operating systems and the like.
    Desktop,
    /// Server products.
    Server,
    /// Applications.
    Application,
}

impl Class {
    /// The name in files.
    pub fn name(self) -> &'static str {
        match self {
            Class::Desktop => "desktop",
            Class::Server => "server",
            Class::Application => "application",
        }
    }
}

/// One product version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Unique name.
    pub name: String,
    /// Unique code carried in installation IDs (1..=16383).
    pub code: u16,
    /// Family: versions of one family share downgrade rights.
    pub family: String,
    /// Version number within the family.
    pub version: u32,
    /// Class.
    pub class: Class,
    /// Confirmation ID profile.
    #[serde(default)]
    pub profile: Profile,
    /// Needs its own key: later versions' keys do not downgrade to it.
    #[serde(default)]
    pub own_key: bool,
}

impl Product {
    /// "studio 7".
    pub fn label(&self) -> String {
        if self.name == self.family {
            format!("{} {}", self.name, self.version)
        } else {
            format!("{} ({} {})", self.name, self.family, self.version)
        }
    }
}

/// Site activation thresholds by class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Desktop products (default 25).
    #[serde(default = "t25")]
    pub desktop: u32,
    /// Server products (default 5).
    #[serde(default = "t5")]
    pub server: u32,
    /// Applications (default 5).
    #[serde(default = "t5")]
    pub application: u32,
}

fn t25() -> u32 {
    25
}
fn t5() -> u32 {
    5
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            desktop: 25,
            server: 5,
            application: 5,
        }
    }
}

impl Thresholds {
    /// The threshold for a class.
    pub fn of(&self, class: Class) -> u32 {
        match class {
            Class::Desktop => self.desktop,
            Class::Server => self.server,
            Class::Application => self.application,
        }
    }
}

/// One host-compatibility entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostRule {
    /// The host product's name.
    pub host: String,
    /// Products it may activate.
    pub activates: Vec<String>,
}

/// The whole catalog, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Products, in file order.
    pub products: Vec<Product>,
    /// Thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Host compatibility.
    #[serde(default)]
    pub hosts: Vec<HostRule>,
    #[serde(skip)]
    by_code: HashMap<u16, usize>,
    #[serde(skip)]
    by_name: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    name: Spanned<String>,
    code: Spanned<i64>,
    family: String,
    version: u32,
    class: Class,
    #[serde(default)]
    profile: Profile,
    #[serde(default)]
    own_key: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    host: Spanned<String>,
    activates: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    product: Vec<RawProduct>,
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    host: Vec<RawHost>,
}

impl Catalog {
    /// Builds a catalog from products, validating uniqueness.
    pub fn new(
        products: Vec<Product>,
        thresholds: Thresholds,
        hosts: Vec<HostRule>,
    ) -> Result<Self, String> {
        let mut c = Catalog {
            products,
            thresholds,
            hosts,
            ..Default::default()
        };
        c.index()?;
        Ok(c)
    }

    fn index(&mut self) -> Result<(), String> {
        self.by_code.clear();
        self.by_name.clear();
        for (i, p) in self.products.iter().enumerate() {
            if self.by_code.insert(p.code, i).is_some() {
                return Err(format!("product code {} is used twice", p.code));
            }
            if self.by_name.insert(p.name.clone(), i).is_some() {
                return Err(format!("product name {:?} is used twice", p.name));
            }
        }
        Ok(())
    }

    /// Parses and validates a catalog file's text. All or nothing: any error
    /// refuses the whole file, naming line and column.
    pub fn parse(file: &str, text: &str) -> Result<Self, FileError> {
        let raw: RawCatalog =
            toml::from_str(text).map_err(|e| FileError::from_toml(file, text, &e))?;
        let mut products = Vec::new();
        let mut codes = HashMap::new();
        let mut names = HashMap::new();
        for p in raw.product {
            let code_at = p.code.span().start;
            let code = *p.code.get_ref();
            if !(1..=16383).contains(&code) {
                return Err(FileError::at(
                    file,
                    text,
                    code_at,
                    format!("product code {code} is out of range (1..=16383)"),
                ));
            }
            let name = p.name.get_ref().clone();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(FileError::at(
                    file,
                    text,
                    p.name.span().start,
                    format!("product name {name:?} must be letters, digits, '-' or '_'"),
                ));
            }
            if let Some(prev) = codes.insert(code, name.clone()) {
                return Err(FileError::at(
                    file,
                    text,
                    code_at,
                    format!("product code {code} is already used by {prev:?}"),
                ));
            }
            if names.insert(name.clone(), ()).is_some() {
                return Err(FileError::at(
                    file,
                    text,
                    p.name.span().start,
                    format!("product name {name:?} is used twice"),
                ));
            }
            products.push(Product {
                name,
                code: code as u16,
                family: p.family,
                version: p.version,
                class: p.class,
                profile: p.profile,
                own_key: p.own_key,
            });
        }
        let mut hosts = Vec::new();
        for h in raw.host {
            let host = h.host.get_ref().clone();
            match products.iter().find(|p| p.name == host) {
                None => return Err(FileError::at(file, text, h.host.span().start, format!("host product {host:?} is not in the catalog"))),
                Some(p) if p.class != Class::Server => {
                    return Err(FileError::at(file, text, h.host.span().start, format!("host product {host:?} is a {} product; only server products can be site activation hosts", p.class.name())))
                }
                _ => {}
            }
            let mut activates = Vec::new();
            for a in h.activates {
                if !names.contains_key(a.get_ref()) {
                    return Err(FileError::at(
                        file,
                        text,
                        a.span().start,
                        format!(
                            "product {:?} named by host {host:?} is not in the catalog",
                            a.get_ref()
                        ),
                    ));
                }
                activates.push(a.into_inner());
            }
            hosts.push(HostRule { host, activates });
        }
        Catalog::new(products, raw.thresholds, hosts).map_err(|m| FileError {
            file: file.into(),
            line: 0,
            column: 0,
            message: m,
        })
    }

    /// Restores a catalog saved with serde (for example from the ledger).
    pub fn from_json(json: &str) -> Result<Self, String> {
        let mut c: Catalog = serde_json::from_str(json).map_err(|e| e.to_string())?;
        c.index()?;
        Ok(c)
    }

    /// The product with this code.
    pub fn by_code(&self, code: u16) -> Option<&Product> {
        self.by_code.get(&code).map(|&i| &self.products[i])
    }

    /// The product with this name.
    pub fn by_name(&self, name: &str) -> Option<&Product> {
        self.by_name.get(name).map(|&i| &self.products[i])
    }

    /// The products a host product may activate as a site activation host.
    pub fn hosted_by(&self, host: &str) -> Vec<&str> {
        self.hosts
            .iter()
            .filter(|h| h.host == host)
            .flat_map(|h| h.activates.iter().map(String::as_str))
            .collect()
    }

    /// The site activation threshold of a product.
    pub fn threshold(&self, p: &Product) -> u32 {
        self.thresholds.of(p.class)
    }

    /// Products by family, sorted by version (for display).
    pub fn families(&self) -> BTreeMap<&str, Vec<&Product>> {
        let mut m: BTreeMap<&str, Vec<&Product>> = BTreeMap::new();
        for p in &self.products {
            m.entry(&p.family).or_default().push(p);
        }
        for v in m.values_mut() {
            v.sort_by_key(|p| p.version);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_loads() {
        let text = include_str!("../../../../samples/catalog.toml");
        let c = Catalog::parse("samples/catalog.toml", text).unwrap();
        assert!(c.by_name("studio").is_some());
        assert_eq!(c.by_name("notes").unwrap().profile, Profile::Compact);
        assert_eq!(c.by_name("studio").unwrap().profile, Profile::Signed);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let text = "[[product]]\nname = \"a\"\ncode = 1\nfamily = \"a\"\nversion = 1\nclass = \"desktop\"\n\n[[product]]\nname = \"b\"\ncode = 1\nfamily = \"b\"\nversion = 1\nclass = \"desktop\"\n";
        let e = Catalog::parse("c.toml", text).unwrap_err();
        assert_eq!((e.line, e.column), (10, 8));
        assert!(e.message.contains("already used"), "{e}");
        let e = Catalog::parse("c.toml", "[[product]]\nname = \"a\"\ncode = \"x\"\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = Catalog::parse("c.toml", "[[product]]\nname = \"a\"\ncode = 1\nfamily = \"a\"\nversion = 1\nclass = \"laptop\"\n").unwrap_err();
        assert_eq!(e.line, 6, "{e}");
    }

    #[test]
    fn a_host_must_be_a_known_server_product() {
        let text = "[[product]]\nname = \"a\"\ncode = 1\nfamily = \"a\"\nversion = 1\nclass = \"desktop\"\n[[host]]\nhost = \"a\"\nactivates = [\"a\"]\n";
        let e = Catalog::parse("c.toml", text).unwrap_err();
        assert!(e.message.contains("only server products"), "{e}");
        assert_eq!(e.line, 8);
    }
}
