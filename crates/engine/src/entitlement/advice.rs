//! Advice: which key kind suits a planned deployment.

use super::catalog::{Catalog, Product};
use crate::keys::KeyKind;

/// Below this many machines, count-limited keys are the simpler choice.
pub const COUNT_LIMITED_BELOW: u32 = 50;

/// A recommendation with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    /// The recommended key kind.
    pub kind: KeyKind,
    /// Why, in one sentence.
    pub reason: String,
    /// For a site host: the host product whose site-host key to issue (from
    /// the catalog's host table; the product itself when it is a host). A
    /// site-host key is issued for the host product, never for the products
    /// it activates.
    pub host: Option<String>,
}

/// Recommends a key kind for deploying `product` on `machines` machines.
///
/// Below 50 machines, or below the product's site activation threshold, a
/// count-limited (mak) key. At or above both, a site host: the site reaches
/// the threshold, and one host activates any number of machines locally;
/// the advice names the host product to issue the site-host key for.
pub fn recommend(catalog: &Catalog, product: &Product, machines: u32) -> Advice {
    let threshold = catalog.threshold(product);
    let mut hosts: Vec<&str> = Vec::new();
    for h in &catalog.hosts {
        if h.activates.contains(&product.name) && !hosts.contains(&h.host.as_str()) {
            hosts.push(&h.host);
        }
    }
    // The product's own key is the simplest when it is a host itself.
    if let Some(i) = hosts.iter().position(|h| *h == product.name) {
        hosts.swap(0, i);
    }
    if hosts.is_empty() {
        return Advice {
            kind: KeyKind::Mak,
            host: None,
            reason: format!("no site activation host in the catalog activates {}: use mak keys, {machines} activations in all", product.name),
        };
    }
    if machines < threshold {
        return Advice {
            kind: KeyKind::Mak,
            host: None,
            reason: format!("{machines} machines is below the site activation threshold of {threshold} for {} products: use a mak key with {machines} activations", product.class.name()),
        };
    }
    if machines < COUNT_LIMITED_BELOW {
        return Advice {
            kind: KeyKind::Mak,
            host: None,
            reason: format!("{machines} machines is below {COUNT_LIMITED_BELOW}: a mak key is simpler to run than a site host"),
        };
    }
    let host = hosts[0];
    let others = if hosts.len() > 1 {
        format!(" (or for {})", hosts[1..].join(", "))
    } else {
        String::new()
    };
    Advice {
        kind: KeyKind::SiteHost,
        host: Some(host.to_string()),
        reason: format!("{machines} machines reaches the site activation threshold of {threshold}: a site host activates them locally, with one phone activation per host — issue a site-host key for {host}{others}, which activates {} (`actline key issue --product {host} --kind site-host`)", product.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entitlement::catalog::Class;

    #[test]
    fn rule_advice_small_sites_get_count_limited_keys_large_ones_a_site_host() {
        let c = Catalog::parse(
            "samples/catalog.toml",
            include_str!("../../../../samples/catalog.toml"),
        )
        .unwrap();
        let desktop = c
            .products
            .iter()
            .find(|p| p.class == Class::Desktop)
            .unwrap();
        assert_eq!(recommend(&c, desktop, 10).kind, KeyKind::Mak);
        assert_eq!(
            recommend(&c, desktop, 30).kind,
            KeyKind::Mak,
            "above threshold but below 50"
        );
        assert_eq!(recommend(&c, desktop, 50).kind, KeyKind::SiteHost);
        assert!(recommend(&c, desktop, 10)
            .reason
            .contains("threshold of 25"));
    }

    #[test]
    fn advise_recommended_a_site_host_key_for_a_product_that_is_not_a_host() {
        let c = Catalog::parse(
            "samples/catalog.toml",
            include_str!("../../../../samples/catalog.toml"),
        )
        .unwrap();
        let studio = c.by_name("studio").unwrap();
        let a = recommend(&c, studio, 500);
        assert_eq!(a.kind, KeyKind::SiteHost);
        assert_eq!(a.host.as_deref(), Some("vault"));
        assert!(
            a.reason
                .contains("a site-host key for vault, which activates studio"),
            "{}",
            a.reason
        );
        let vault = c.by_name("vault").unwrap();
        assert_eq!(recommend(&c, vault, 500).host.as_deref(), Some("vault"));
    }
}
