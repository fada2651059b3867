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
}

/// Recommends a key kind for deploying `product` on `machines` machines.
///
/// Below 50 machines, or below the product's site activation threshold, a
/// count-limited (mak) key. At or above both, a site host: the site reaches
/// the threshold, and one host activates any number of machines locally.
pub fn recommend(catalog: &Catalog, product: &Product, machines: u32) -> Advice {
    let threshold = catalog.threshold(product);
    let hosted = catalog
        .hosts
        .iter()
        .any(|h| h.activates.contains(&product.name));
    if !hosted {
        return Advice {
            kind: KeyKind::Mak,
            reason: format!("no site activation host in the catalog activates {}: use mak keys, {machines} activations in all", product.name),
        };
    }
    if machines < threshold {
        return Advice {
            kind: KeyKind::Mak,
            reason: format!("{machines} machines is below the site activation threshold of {threshold} for {} products: use a mak key with {machines} activations", product.class.name()),
        };
    }
    if machines < COUNT_LIMITED_BELOW {
        return Advice {
            kind: KeyKind::Mak,
            reason: format!("{machines} machines is below {COUNT_LIMITED_BELOW}: a mak key is simpler to run than a site host"),
        };
    }
    Advice {
        kind: KeyKind::SiteHost,
        reason: format!("{machines} machines reaches the site activation threshold of {threshold}: a site host activates them locally, with one phone activation per host"),
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
            include_str!("../../samples/catalog.toml"),
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
}
